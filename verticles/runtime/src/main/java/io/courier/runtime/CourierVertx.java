package io.courier.runtime;

import io.courier.runtime.config.ClusterConfig;
import io.courier.runtime.config.MtlsConfig;
import io.courier.runtime.impl.ClusterFactory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Vert.x instances built the way a Courier process builds its own: plain, or a member of a
 * Hazelcast cluster on the configured interface and members, over mutual TLS when configured, but
 * without the runtime's metrics and tracing. For tools, benchmarks and tests that need a cluster
 * member without running roles.
 */
public final class CourierVertx {

  private CourierVertx() {}

  /** A plain or clustered Vert.x, as {@code cluster} says. */
  public static Future<Vertx> create(ClusterConfig cluster) {
    return create(cluster, MtlsConfig.DEFAULTS);
  }

  /** A plain or clustered Vert.x whose clustered event bus runs over {@code mtls} when enabled. */
  public static Future<Vertx> create(ClusterConfig cluster, MtlsConfig mtls) {
    return ClusterFactory.create(cluster, mtls);
  }
}
