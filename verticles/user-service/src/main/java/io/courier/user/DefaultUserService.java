package io.courier.user;

import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.GetUserResponse;
import io.courier.contract.v1.User;
import io.courier.contract.v1.UserServiceService;
import io.courier.runtime.chaos.Faults;
import io.courier.service.CallerIdentity;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/** Users by id, read-only, from the seed file. */
public final class DefaultUserService extends UserServiceService {

  /** The fault point this service offers to chaos tests ({@link Faults}). */
  public static final String FAULT_POINT = "user-service";

  private final Map<String, User> users;
  private final Faults faults;

  public DefaultUserService(Map<String, User> users) {
    this(users, null);
  }

  /**
   * @param faults where chaos tests slow down or fail GetUser; null for none
   */
  public DefaultUserService(Map<String, User> users, Faults faults) {
    this.users = Map.copyOf(users);
    this.faults = faults;
  }

  public int size() {
    return users.size();
  }

  @Override
  public Future<GetUserResponse> getUser(GetUserRequest request) {
    var caller = CallerIdentity.current();
    if (caller.isPresent() && !caller.get().mayActFor(request.getUserId())) {
      return Future.failedFuture(
          ServiceError.forbidden("forbidden", "a user may read only their own profile").toGrpc());
    }
    if (faults != null) {
      return faults
          .at(FAULT_POINT)
          .transform(
              injected ->
                  injected.failed()
                      ? Future.failedFuture(
                          ServiceError.unavailable("fault-injected", injected.cause().getMessage())
                              .toGrpc())
                      : lookUp(request));
    }
    return lookUp(request);
  }

  private Future<GetUserResponse> lookUp(GetUserRequest request) {
    User user = users.get(request.getUserId());
    if (user == null) {
      return Future.failedFuture(
          ServiceError.notFound("unknown-user", "no user with id '" + request.getUserId() + "'")
              .toGrpc());
    }
    return Future.succeededFuture(GetUserResponse.newBuilder().setUser(user).build());
  }

  /**
   * Parses a seed file: {@code {"users": [{"id", "name", "email", "active"}, ...]}}.
   *
   * @throws IllegalArgumentException naming the entry at fault
   */
  public static Map<String, User> parseSeed(String json, String source) {
    JsonArray entries;
    try {
      entries = new JsonObject(json).getJsonArray("users");
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          source + ": not a JSON object with 'users': " + e.getMessage());
    }
    if (entries == null) {
      throw new IllegalArgumentException(source + ": needs a 'users' array");
    }
    Map<String, User> users = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      JsonObject entry = entries.getJsonObject(i);
      String id = entry.getString("id", "");
      if (id.isBlank()) {
        throw new IllegalArgumentException(source + ": users[" + i + "].id is missing");
      }
      users.put(
          id,
          User.newBuilder()
              .setId(id)
              .setName(entry.getString("name", id))
              .setEmail(entry.getString("email", ""))
              .setActive(entry.getBoolean("active", true))
              .build());
    }
    return users;
  }
}
