package io.courier.resilience;

import io.courier.runtime.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.consul.ConsulClientOptions;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resilience verticle: for each target of the policy file, callers send to {@code
 * courier.resilient.<target>} and this verticle forwards to the target's address under its policy,
 * passing the remaining deadline on in {@link Deadline#HEADER}. A {@link PolicyFileWatcher} keeps
 * the file applied: a valid change updates each target's policy in place for calls that start
 * afterwards (calls in flight finish under the policy they started with), an invalid one is refused
 * with the key named and the old policies kept. Reloads are announced on {@link #RELOAD_ADDRESS}.
 */
public final class ResilienceProxyVerticle extends VerticleBase {

  /** Prefix of the addresses callers send to. */
  public static final String ADDRESS_PREFIX = "courier.resilient.";

  /** Announcements of reloads: {@code {"applied": bool, "error": text}}. */
  public static final String RELOAD_ADDRESS = PolicyFileWatcher.RELOAD_ADDRESS;

  /** Header of a reply that came from a fallback: {@code cache} or {@code static}. */
  public static final String DEGRADED_HEADER = "courier-degraded";

  private static final Logger LOG = LoggerFactory.getLogger(ResilienceProxyVerticle.class);
  private static final int CACHE_ENTRIES = 1_000;

  private final String file;
  private final long reloadPeriodMs;
  private final Meters meters;
  private final Map<String, TargetPolicy> policies = new ConcurrentHashMap<>();
  private final Map<String, MessageConsumer<Object>> consumers = new HashMap<>();
  private final Map<String, Map<Object, Object>> caches = new ConcurrentHashMap<>();
  private PolicyFileWatcher watcher;
  private ConsulClientOptions agent;
  private String consulKey;

  /**
   * @param meters where the targets' calls are measured
   */
  public ResilienceProxyVerticle(String file, long reloadPeriodMs, Meters meters) {
    this.file = file;
    this.reloadPeriodMs = reloadPeriodMs;
    this.meters = meters;
  }

  /**
   * Also takes the policies from the Consul KV key on {@code agent} while it holds a value ({@link
   * PolicyFileWatcher#withConsulKey}); a null agent reads the file only.
   */
  public ResilienceProxyVerticle fromConsulKey(ConsulClientOptions agent, String key) {
    this.agent = agent;
    this.consulKey = key;
    return this;
  }

  @Override
  public Future<?> start() {
    watcher = new PolicyFileWatcher(vertx, file, reloadPeriodMs, "resilience-proxy", this::apply);
    if (agent != null) {
      watcher.withConsulKey(agent, consulKey);
    }
    return watcher.start();
  }

  @Override
  public Future<?> stop() {
    watcher.stop();
    return Future.join(consumers.values().stream().map(MessageConsumer::unregister).toList());
  }

  private void apply(ResiliencePolicies parsed) {
    parsed
        .targets()
        .forEach(
            (name, target) -> {
              ResiliencePolicies.Policy policy = parsed.policies().get(target.policy());
              policies.compute(
                  name,
                  (n, existing) -> {
                    if (existing == null) {
                      return new TargetPolicy(vertx, meters, n, target, policy);
                    }
                    existing.update(target, policy);
                    return existing;
                  });
              consumers.computeIfAbsent(
                  name,
                  n ->
                      vertx
                          .eventBus()
                          .consumer(ADDRESS_PREFIX + n, message -> forward(n, message)));
            });
    consumers
        .keySet()
        .removeIf(
            name -> {
              if (parsed.targets().containsKey(name)) {
                return false;
              }
              policies.remove(name);
              consumers.get(name).unregister();
              return true;
            });
    LOG.info(
        "resilience policies applied from {}: targets {}",
        watcher.source(),
        parsed.targets().keySet());
  }

  private void forward(String name, Message<Object> message) {
    TargetPolicy policy = policies.get(name);
    if (policy == null) {
      message.fail(503, "no resilience policy for target " + name);
      return;
    }
    Deadline callerDeadline =
        Deadline.fromHeader(
            message.headers().get(Deadline.HEADER), Deadline.none(), System::nanoTime);
    policy
        .<Message<Object>>call(
            callerDeadline,
            attempt -> {
              DeliveryOptions options =
                  new DeliveryOptions()
                      .setHeaders(MultiMap.caseInsensitiveMultiMap().addAll(message.headers()))
                      .setSendTimeout(Math.max(1, attempt.deadline().remaining().toMillis()));
              options.getHeaders().set(Deadline.HEADER, attempt.deadline().toHeader());
              return vertx.eventBus().request(policy.target().address(), message.body(), options);
            })
        .onSuccess(
            reply -> {
              if ("cache".equals(policy.policy().fallback().mode())) {
                cacheOf(name).put(message.body(), reply.body());
              }
              message.reply(reply.body(), new DeliveryOptions().setHeaders(reply.headers()));
            })
        .onFailure(error -> fallback(name, policy, message, error));
  }

  /** Answers from the fallback the policy names, or fails with the mapped code. */
  private void fallback(
      String name, TargetPolicy policy, Message<Object> message, Throwable error) {
    ResiliencePolicies.Fallback fallback = policy.policy().fallback();
    DeliveryOptions degraded = new DeliveryOptions().addHeader(DEGRADED_HEADER, fallback.mode());
    if ("cache".equals(fallback.mode())) {
      Object cached = cacheOf(name).get(message.body());
      if (cached != null) {
        message.reply(cached, degraded);
        return;
      }
    } else if ("static".equals(fallback.mode())) {
      Object value = fallback.value();
      message.reply(
          value instanceof Map<?, ?> map ? new JsonObject(castMap(map)) : value, degraded);
      return;
    }
    message.fail(statusOf(error), error.getMessage());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }

  private Map<Object, Object> cacheOf(String target) {
    return caches.computeIfAbsent(
        target,
        t ->
            Collections.synchronizedMap(
                new LinkedHashMap<>(16, 0.75f, true) {
                  private static final long serialVersionUID = 1L;

                  @Override
                  protected boolean removeEldestEntry(Map.Entry<Object, Object> eldest) {
                    return size() > CACHE_ENTRIES;
                  }
                }));
  }

  /** The failure code a caller sees: the callee's own for its refusals, else by failure class. */
  static int statusOf(Throwable error) {
    Throwable cause =
        error instanceof CallFailedException failed && failed.getCause() != null
            ? failed.getCause()
            : error;
    if (cause instanceof ReplyException reply
        && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && reply.failureCode() > 0) {
      return reply.failureCode();
    }
    return switch (FailureClassifier.classify(error).failureClass()) {
      case CLIENT_ERROR -> 400;
      case OVERLOAD -> 503;
      case TIMEOUT -> 504;
      case NETWORK, TLS -> 502;
      case SERVER_ERROR -> 500;
    };
  }
}
