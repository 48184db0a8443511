package io.courier.resilience;

import io.vertx.core.MultiMap;

/**
 * The answer a call through a resilience proxy got: the callee's reply (or a fallback's), with its
 * headers ({@link ResilienceProxyVerticle#DEGRADED_HEADER} on a fallback's).
 *
 * @param body the reply's body
 * @param headers the reply's headers, never null
 */
public record ProxyReply(Object body, MultiMap headers) {

  /** The body as the type the caller expects. */
  @SuppressWarnings("unchecked")
  public <T> T as() {
    return (T) body;
  }
}
