package io.courier.resilience;

import io.courier.runtime.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.consul.ConsulClientOptions;
import java.util.HashMap;
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
 *
 * <p>A call may name an address under its target's in {@link #TO_HEADER} (the owner of a partition,
 * say). A failure the callee answered itself goes back with its code and message; any other is
 * answered with a {@link CallProblem} (code = its status, message = its JSON). A process runs one
 * instance per event loop ({@link ResilienceRole#proxies}).
 */
public final class ResilienceProxyVerticle extends VerticleBase {

  /** Prefix of the addresses callers send to. */
  public static final String ADDRESS_PREFIX = "courier.resilient.";

  /** Announcements of reloads: {@code {"applied": bool, "error": text}}. */
  public static final String RELOAD_ADDRESS = PolicyFileWatcher.RELOAD_ADDRESS;

  /**
   * Header naming where a call goes when it is not the target's address itself but an address under
   * it ({@code <address>.<suffix>}, for example the owner of one partition): such a call also waits
   * for an owner while nobody listens there ({@link OwnerRequests#whileMoving}).
   */
  public static final String TO_HEADER = "courier-to";

  /** Header of a reply that came from a fallback: {@code cache} or {@code static}. */
  public static final String DEGRADED_HEADER = "courier-degraded";

  private static final Logger LOG = LoggerFactory.getLogger(ResilienceProxyVerticle.class);

  private final String file;
  private final long reloadPeriodMs;
  private final Meters meters;
  private final Map<String, TargetPolicy> policies = new ConcurrentHashMap<>();
  private final Map<String, MessageConsumer<Object>> consumers = new HashMap<>();
  private final Map<String, FallbackCache<Object, Object>> caches = new ConcurrentHashMap<>();
  private PolicyFileWatcher watcher;
  private ConsulClientOptions agent;
  private String consulKey;
  private boolean local;

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

  /**
   * Listens for this process's callers only ({@code localConsumer}): they send with {@code
   * setLocalOnly(true)}, and the body reaches the target without being copied (each attempt sends
   * its own copy of the few headers).
   */
  public ResilienceProxyVerticle processLocal() {
    this.local = true;
    return this;
  }

  @Override
  public Future<?> start() {
    watcher = new PolicyFileWatcher(vertx, file, reloadPeriodMs, "resilience-proxy", this::apply);
    if (agent != null) {
      watcher.withConsulKey(agent, consulKey);
    }
    LocalProxies.register(vertx, this);
    return watcher.start();
  }

  @Override
  public Future<?> stop() {
    LocalProxies.unregister(this);
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
              applyCache(name, policy.fallback());
              consumers.computeIfAbsent(
                  name,
                  n ->
                      local
                          ? vertx
                              .eventBus()
                              .localConsumer(ADDRESS_PREFIX + n, message -> forward(n, message))
                          : vertx
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
              caches.remove(name);
              consumers.get(name).unregister();
              return true;
            });
    LOG.info(
        "resilience policies applied from {}: targets {}",
        watcher.source(),
        parsed.targets().keySet());
  }

  private void forward(String name, Message<Object> message) {
    forward(name, message.body(), message.headers(), new MessageAnswer(message));
  }

  /** Whether this proxy serves {@code target} now. */
  boolean serves(String target) {
    return policies.containsKey(target);
  }

  /**
   * A call from a caller on this proxy's own event loop, without the event-bus hop to the proxy:
   * the same policy, fallbacks and answers as a call sent to {@code courier.resilient.<target>}.
   */
  Future<ProxyReply> call(String target, Object body, MultiMap headers) {
    Promise<ProxyReply> answered = Promise.promise();
    forward(target, body, headers, new PromisedAnswer(answered));
    return answered.future();
  }

  private void forward(String name, Object body, MultiMap headers, Answer message) {
    TargetPolicy policy = policies.get(name);
    if (policy == null) {
      fail(message, new CallProblem(503, "dependency-unavailable", "no policy for target " + name));
      return;
    }
    // The caller's headers travel on; each attempt sends its own copy with its own deadline, so a
    // hedge or retry never rewrites what an attempt still on its way carries.
    String address = policy.target().address();
    String to = headers.get(TO_HEADER);
    if (to != null && !to.equals(address) && !to.startsWith(address + ".")) {
      fail(
          message,
          new CallProblem(
              400,
              "invalid-request",
              TO_HEADER + " '" + to + "' is not under target " + name + "'s address " + address));
      return;
    }
    Deadline callerDeadline =
        Deadline.fromHeader(headers.get(Deadline.HEADER), Deadline.none(), System::nanoTime);
    policy
        .<Message<Object>>call(
            callerDeadline,
            attempt -> {
              MultiMap own =
                  MultiMap.caseInsensitiveMultiMap()
                      .addAll(headers)
                      .set(Deadline.HEADER, attempt.deadline().toHeader());
              DeliveryOptions options = new DeliveryOptions().setHeaders(own);
              return to == null
                  ? vertx
                      .eventBus()
                      .request(
                          address,
                          body,
                          options.setSendTimeout(
                              Math.max(1, attempt.deadline().remaining().toMillis())))
                  : OwnerRequests.whileMoving(vertx, to, body, options, attempt.deadline());
            })
        .onComplete(
            // One listener, not two (onSuccess + onFailure): a listener list per call showed in
            // the profile.
            done -> {
              if (done.failed()) {
                fallback(name, policy, body, message, done.cause());
                return;
              }
              Message<Object> reply = done.result();
              FallbackCache<Object, Object> cache = caches.get(name);
              if (cache != null) {
                cache.put(body, reply.body());
              }
              message.reply(reply.body(), reply.headers());
            });
  }

  /** Answers from the fallback the policy names, or fails with the mapped code. */
  private void fallback(
      String name, TargetPolicy policy, Object body, Answer message, Throwable error) {
    ResiliencePolicies.Fallback fallback = policy.policy().fallback();
    MultiMap degraded = MultiMap.caseInsensitiveMultiMap().add(DEGRADED_HEADER, fallback.mode());
    // The callee's own answer about the request (not found, invalid) stays authoritative.
    boolean mayFallBack = FallbackCache.fallsBackOn(error);
    FallbackCache<Object, Object> cache = caches.get(name);
    if (mayFallBack && "cache".equals(fallback.mode()) && cache != null) {
      Object cached = cache.get(body).orElse(null);
      if (cached != null) {
        message.reply(cached, degraded);
        return;
      }
    } else if (mayFallBack && "static".equals(fallback.mode())) {
      Object value = fallback.value();
      message.reply(
          value instanceof Map<?, ?> map ? new JsonObject(castMap(map)) : value, degraded);
      return;
    }
    ReplyException own = calleeRefusal(error);
    if (own != null) {
      message.fail(own.failureCode(), own.getMessage());
    } else {
      fail(message, CallProblem.of(error));
    }
  }

  private static void fail(Answer message, CallProblem problem) {
    message.fail(problem.status(), problem.toJson().encode());
  }

  /** Where a call's answer goes: back over the event bus, or to an in-process caller. */
  private interface Answer {
    void reply(Object body, MultiMap headers);

    void fail(int code, String message);
  }

  private record MessageAnswer(Message<Object> message) implements Answer {
    @Override
    public void reply(Object body, MultiMap headers) {
      message.reply(body, new DeliveryOptions().setHeaders(headers));
    }

    @Override
    public void fail(int code, String text) {
      message.fail(code, text);
    }
  }

  /** What a caller sent to the proxy's address would see, as a future. */
  private record PromisedAnswer(Promise<ProxyReply> promise) implements Answer {
    @Override
    public void reply(Object body, MultiMap headers) {
      promise.tryComplete(new ProxyReply(body, headers));
    }

    @Override
    public void fail(int code, String text) {
      promise.tryFail(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, text));
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }

  /**
   * Gives the target a cache of last good replies within the bounds of its {@code cache} fallback,
   * resizing the one it has (a smaller bound drops the least recently used replies), or drops its
   * cache when its fallback is another mode. Runs when policies are applied, so a call only looks
   * its cache up.
   */
  private void applyCache(String target, ResiliencePolicies.Fallback fallback) {
    if (!"cache".equals(fallback.mode())) {
      caches.remove(target);
      return;
    }
    caches.compute(
        target,
        (t, cache) -> {
          if (cache == null) {
            return FallbackCache.of(fallback, System::nanoTime);
          }
          cache.resize(fallback.entries(), fallback.maxAge());
          return cache;
        });
  }

  /** The callee's own refusal inside {@code error} (its code and message go back as they are). */
  static ReplyException calleeRefusal(Throwable error) {
    Throwable current = error;
    for (int depth = 0; current != null && depth < 8; depth++) {
      if (current instanceof ReplyException reply
          && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE
          && reply.failureCode() > 0) {
        return reply;
      }
      current = current.getCause();
    }
    return null;
  }
}
