package io.courier.resilience;

import io.vertx.core.Vertx;

/**
 * The resilience proxy on each event-loop thread, for {@link ProxyCalls}: one per thread and Vert.x
 * instance (a second proxy on the same loop is reached over the event bus like any other). A
 * thread-local, since the lookup is on every call's path (a shared-data map cost more than the
 * proxy's policy in a profile).
 */
final class LocalProxies {

  private record Entry(Vertx vertx, ResilienceProxyVerticle proxy) {}

  private static final ThreadLocal<Entry> ON_THIS_THREAD = new ThreadLocal<>();

  private LocalProxies() {}

  /** Called on the proxy's event loop as it starts. */
  static void register(Vertx vertx, ResilienceProxyVerticle proxy) {
    if (ON_THIS_THREAD.get() == null) {
      ON_THIS_THREAD.set(new Entry(vertx, proxy));
    }
  }

  /** Called on the proxy's event loop when it stops. */
  static void unregister(ResilienceProxyVerticle proxy) {
    Entry entry = ON_THIS_THREAD.get();
    if (entry != null && entry.proxy() == proxy) {
      ON_THIS_THREAD.remove();
    }
  }

  /** The proxy of {@code vertx} on the calling thread that serves {@code target}, or null. */
  static ResilienceProxyVerticle onThisThread(Vertx vertx, String target) {
    Entry entry = ON_THIS_THREAD.get();
    return entry != null && entry.vertx() == vertx && entry.proxy().serves(target)
        ? entry.proxy()
        : null;
  }
}
