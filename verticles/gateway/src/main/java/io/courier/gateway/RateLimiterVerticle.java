package io.courier.gateway;

import io.courier.gateway.GatewayConfig.RateLimitConfig;
import io.courier.runtime.RoleContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Prepares the process's {@link RateLimiter} before the HTTP verticles take traffic: finds the
 * cluster's bucket map and warms it up, so the first requests are limited like the rest instead of
 * waiting for it. Deployed by the gateway role ahead of {@link GatewayHttpVerticle}.
 */
final class RateLimiterVerticle extends VerticleBase {

  private final RateLimitConfig config;

  RateLimiterVerticle(RoleContext context) {
    this.config = context.config(GatewayConfig.SECTION).rateLimit();
  }

  @Override
  public Future<?> start() {
    return config.enabled() ? RateLimiter.forProcess(vertx, config) : Future.succeededFuture();
  }
}
