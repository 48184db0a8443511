package io.courier.runtime.impl;

import static io.courier.runtime.impl.AdminServer.problem;
import static io.courier.runtime.impl.JsonHttpServer.answer;

import io.courier.runtime.kafka.DeadLetters;
import io.courier.runtime.kafka.DeliveryHeaders;
import io.courier.runtime.kafka.ReplayLedger;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin server's dead-letter endpoints: {@code GET /admin/dlt} (the dead-letter topics), {@code
 * GET /admin/dlt/{topic}?errorClass=&since=&max=} (the parked records, each marked replayed or not)
 * and {@code POST /admin/dlt/{topic}/replay} ({@code {ids, errorClass, since, dryRun}}), through
 * {@link DeadLetters} and its replay ledger. Kafka is read on worker threads.
 */
final class AdminDeadLetters {

  private static final Logger LOG = LoggerFactory.getLogger(AdminDeadLetters.class);
  private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");

  private final Supplier<DeadLetters> deadLetters;

  /**
   * @param deadLetters made per request (the brokers may be known only once started); null: none
   */
  AdminDeadLetters(Supplier<DeadLetters> deadLetters) {
    this.deadLetters = deadLetters;
  }

  /** {@code rest}: what follows {@code /admin/dlt/} (empty for {@code /admin/dlt}). */
  void handle(HttpServerRequest request, String rest) {
    if (deadLetters == null) {
      problem(request, 404, "no-dead-letters", "Not Found", "this process reads no dead letters");
      return;
    }
    DeadLetters letters = deadLetters.get();
    if (rest.isEmpty()) {
      if (request.method() != HttpMethod.GET) {
        answer(request, 405, new JsonObject().put("error", "GET /admin/dlt"));
        return;
      }
      letters
          .topics()
          .onSuccess(topics -> answer(request, 200, new JsonObject().put("topics", topics)))
          .onFailure(e -> failed(request, "listing the dead-letter topics", e));
      return;
    }
    boolean replay = rest.endsWith("/replay");
    String topic = replay ? rest.substring(0, rest.length() - "/replay".length()) : rest;
    if (!TOPIC.matcher(topic).matches()) {
      problem(request, 400, "bad-topic", "Bad Request", "not a topic name: " + topic);
      return;
    }
    if (replay) {
      if (request.method() != HttpMethod.POST) {
        answer(request, 405, new JsonObject().put("error", "POST /admin/dlt/{topic}/replay"));
        return;
      }
      request
          .body()
          .onSuccess(
              body -> {
                DeadLetters.Selection selection;
                boolean dry;
                try {
                  JsonObject json = body.length() == 0 ? new JsonObject() : body.toJsonObject();
                  selection = selection(json);
                  dry = json.getBoolean("dryRun", false);
                } catch (RuntimeException e) {
                  problem(
                      request,
                      400,
                      "bad-selection",
                      "Bad Request",
                      "not a selection: "
                          + e.getMessage()
                          + "; expected {\"ids\": [\"p0@12\"], \"errorClass\": \"...\","
                          + " \"since\": \"2026-12-07T10:00:00Z\", \"dryRun\": false}");
                  return;
                }
                letters
                    .replay(topic, selection, dry)
                    .onSuccess(
                        done -> {
                          if (!dry) {
                            LOG.warn(
                                "dead letters of {} replayed from the admin server: {}",
                                topic,
                                done.replayed());
                          }
                          answer(
                              request,
                              200,
                              new JsonObject()
                                  .put("topic", topic)
                                  .put("dryRun", dry)
                                  .put("replayed", done.replayed())
                                  .put("replayedBefore", done.replayedBefore())
                                  .put("notSelected", done.notSelected())
                                  .put("foreign", done.foreign()));
                        })
                    .onFailure(e -> failed(request, "replaying " + topic, e));
              });
      return;
    }
    if (request.method() != HttpMethod.GET) {
      answer(request, 405, new JsonObject().put("error", "GET /admin/dlt/{topic}"));
      return;
    }
    DeadLetters.Selection filter;
    int max;
    try {
      String since = request.getParam("since");
      filter =
          new DeadLetters.Selection(
              Set.of(),
              request.getParam("errorClass"),
              since == null || since.isBlank() ? null : Instant.parse(since.strip()));
      max = Integer.parseInt(request.getParam("max", "500"));
      if (max < 1 || max > 10_000) {
        throw new IllegalArgumentException("max must be 1..10000");
      }
    } catch (RuntimeException e) {
      problem(request, 400, "bad-filter", "Bad Request", "not a filter: " + e.getMessage());
      return;
    }
    letters
        .list(topic, max)
        .compose(
            parked ->
                letters.replayed(topic).map(replayed -> listing(topic, parked, filter, replayed)))
        .onSuccess(listing -> answer(request, 200, listing))
        .onFailure(e -> failed(request, "reading " + topic + DeliveryHeaders.DLT_SUFFIX, e));
  }

  private static DeadLetters.Selection selection(JsonObject json) {
    JsonArray ids = json.getJsonArray("ids", new JsonArray());
    Set<String> chosen = new java.util.HashSet<>();
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.getString(i);
      if (id == null || !id.matches("p\\d+@\\d+")) {
        throw new IllegalArgumentException("'" + id + "' is not an id p<partition>@<offset>");
      }
      chosen.add(id);
    }
    String since = json.getString("since");
    return new DeadLetters.Selection(
        chosen,
        json.getString("errorClass"),
        since == null || since.isBlank() ? null : Instant.parse(since.strip()));
  }

  private static JsonObject listing(
      String topic,
      List<DeadLetters.DeadLetter> parked,
      DeadLetters.Selection filter,
      ReplayLedger replayed) {
    JsonArray records = new JsonArray();
    for (DeadLetters.DeadLetter letter : parked) {
      if (!filter.takes(letter)) {
        continue;
      }
      Object payload;
      try {
        payload = Json.decodeValue(letter.payload());
      } catch (RuntimeException e) {
        payload = letter.payload();
      }
      records.add(
          new JsonObject()
              .put("id", letter.id())
              .put("partition", letter.partition())
              .put("offset", letter.offset())
              .put("key", letter.key())
              .put("parkedAt", letter.parkedAt().toString())
              .put("errorClass", letter.headers().getOrDefault(DeliveryHeaders.ERROR_CLASS, ""))
              .put("error", letter.error())
              .put("type", letter.headers().getOrDefault("ce_type", ""))
              .put("replayed", replayed.moved(letter))
              .put("valueSize", letter.valueSize())
              .put("headers", new JsonObject(new TreeMap<String, Object>(letter.headers())))
              .put("payload", payload));
    }
    return new JsonObject()
        .put("topic", topic)
        .put("parked", parked.size())
        .put("records", records);
  }

  private static void failed(HttpServerRequest request, String what, Throwable e) {
    LOG.warn("admin: {} failed: {}", what, e.toString());
    problem(request, 502, "kafka", "Bad Gateway", what + " failed: " + e.getMessage());
  }
}
