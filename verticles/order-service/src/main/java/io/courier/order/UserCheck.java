package io.courier.order;

import io.courier.codec.flow.Services;
import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.GetUserResponse;
import io.courier.contract.v1.User;
import io.courier.contract.v1.UserServiceGrpcClient;
import io.courier.resilience.Deadline;
import io.courier.resilience.FallbackCache;
import io.courier.resilience.ResiliencePolicies;
import io.courier.resilience.TargetPolicy;
import io.courier.runtime.Causes;
import io.courier.service.CallerIdentity;
import io.courier.service.GrpcPeer;
import io.courier.service.RequestedVersion;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether an order may be placed for a user: GetUser on the user service, under the {@code
 * user-service} target's policy. With a {@code cache} fallback in that policy, the last good
 * profile of each user (younger than {@code fallback.maxAgeMs}, at most {@code fallback.maxEntries}
 * users, {@link FallbackCache}) answers when the call fails after the policy because the user
 * service could not answer (down, timed out, breaker open); such an answer is degraded ({@link
 * Checked#degraded()}) and counted ({@code courier.resilience.fallbacks{target=user-service,
 * mode=cache}}). NOT_FOUND and the other answers of the user service itself are never replaced, and
 * a user not seen recently is refused 503 as before. Confined to one verticle's event loop.
 */
final class UserCheck {

  private static final Logger LOG = LoggerFactory.getLogger(UserCheck.class);

  /** An active user, and whether the profile came from the fallback cache. */
  record Checked(User user, boolean degraded) {}

  private final GrpcPeer users;
  private ResiliencePolicies.Fallback bounds;
  private FallbackCache<String, GetUserResponse> lastGood;

  UserCheck(GrpcPeer users) {
    this.users = users;
  }

  Future<Checked> check(
      String userId, Deadline deadline, CallerIdentity caller, RequestedVersion version) {
    FallbackCache<String, GetUserResponse> cache = cache();
    return users
        .<GetUserRequest, GetUserResponse>call(
            deadline,
            UserServiceGrpcClient.GetUser,
            GetUserRequest.newBuilder().setUserId(userId).build(),
            caller,
            version)
        .map(
            found -> {
              if (cache != null) {
                cache.put(userId, found);
              }
              return new Checked(found.getUser(), false);
            })
        .recover(error -> fallback(userId, cache, error))
        .compose(
            checked ->
                checked.user().getActive()
                    ? Future.succeededFuture(checked)
                    : Future.failedFuture(
                        ServiceError.badField(
                                "inactive-user", "userId", "user '" + userId + "' is not active")
                            .failure()));
  }

  private Future<Checked> fallback(
      String userId, FallbackCache<String, GetUserResponse> cache, Throwable error) {
    if (grpcStatus(error) == GrpcStatus.NOT_FOUND) {
      return Future.failedFuture(
          ServiceError.badField("unknown-user", "userId", "no user with id '" + userId + "'")
              .failure());
    }
    if (cache != null && FallbackCache.fallsBackOn(error)) {
      var cached = cache.get(userId);
      if (cached.isPresent()) {
        LOG.debug("user-service unavailable, user {} from the fallback cache: {}", userId, error);
        users.policy().fellBack("cache");
        return Future.succeededFuture(new Checked(cached.get().getUser(), true));
      }
    }
    if (error instanceof ServiceError.Failure failure) {
      return Future.failedFuture(failure);
    }
    LOG.debug("{} unavailable: {}", Services.USER, error.toString());
    return Future.failedFuture(
        ServiceError.unavailable("dependency-unavailable", Services.USER + " is unavailable")
            .failure());
  }

  /**
   * The fallback cache under the policy as loaded now (null without a {@code cache} fallback): a
   * reload that changes its bounds resizes it, one that turns it off drops it.
   */
  private FallbackCache<String, GetUserResponse> cache() {
    TargetPolicy policy = users.policy();
    ResiliencePolicies.Fallback fallback = policy.policy().fallback();
    if (!"cache".equals(fallback.mode())) {
      bounds = null;
      lastGood = null;
      return null;
    }
    if (lastGood == null) {
      lastGood = FallbackCache.of(fallback, System::nanoTime);
    } else if (!fallback.equals(bounds)) {
      lastGood.resize(fallback.entries(), fallback.maxAge());
    }
    bounds = fallback;
    return lastGood;
  }

  private static GrpcStatus grpcStatus(Throwable error) {
    return Causes.find(error, InvalidStatusException.class)
        .map(InvalidStatusException::actualStatus)
        .orElse(null);
  }
}
