package io.courier.resilience;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;

/**
 * How a caller reaches this process's resilience proxy for a target. A caller on an event loop
 * where a proxy serving the target runs calls that proxy directly: the same policy, fallbacks and
 * answers (a failure is the {@link io.vertx.core.eventbus.ReplyException} the caller would get over
 * the event bus), without the event-bus request and reply between caller and proxy (a reply
 * handler, its timer, a copy of the headers and, across loops, a thread hand-off per call). Any
 * other caller sends to {@code courier.resilient.<target>} local-only, as before.
 */
public final class ProxyCalls {

  private ProxyCalls() {}

  /**
   * Calls {@code target} through the proxy with {@code options}' headers ({@link
   * ResilienceProxyVerticle#TO_HEADER}, {@link Deadline#HEADER}, identity, version); its send
   * timeout bounds the event-bus path only (the policy's deadline bounds both).
   */
  public static Future<ProxyReply> request(
      Vertx vertx, String target, Object body, DeliveryOptions options) {
    ResilienceProxyVerticle proxy = LocalProxies.onThisThread(vertx, target);
    if (proxy != null) {
      MultiMap headers = options.getHeaders();
      return proxy.call(
          target, body, headers == null ? MultiMap.caseInsensitiveMultiMap() : headers);
    }
    return vertx
        .eventBus()
        .request(ResilienceProxyVerticle.ADDRESS_PREFIX + target, body, options.setLocalOnly(true))
        .map(reply -> new ProxyReply(reply.body(), reply.headers()));
  }
}
