package io.courier.service;

import io.courier.resilience.ResiliencePolicies;
import io.courier.resilience.TargetPolicy;
import io.courier.runtime.config.CourierConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * The resilience policies of the calls a service makes, read from the policy file the configuration
 * names ({@code resilience.policyFile}), the same file the resilience role serves.
 */
public final class Policies {

  private final Vertx vertx;
  private final ResiliencePolicies policies;

  private Policies(Vertx vertx, ResiliencePolicies policies) {
    this.vertx = vertx;
    this.policies = policies;
  }

  /** Reads and validates the file without blocking. */
  public static Future<Policies> load(Vertx vertx, CourierConfig config) {
    String file = config.resilience().policyFile();
    return vertx
        .fileSystem()
        .readFile(file)
        .map(content -> new Policies(vertx, ResiliencePolicies.parse(content.toString(), file)));
  }

  /**
   * How many records a consumer whose handler calls through {@code policy} may hold in flight so
   * the calls never overflow the policy's bulkhead: half its running plus queued places, since a
   * poll can deliver up to the bound again before the consumer pauses. Overflowing would turn a
   * burst into rejected calls and, after the retries, dead-lettered events.
   */
  public static int consumerBound(TargetPolicy policy) {
    ResiliencePolicies.BulkheadLimits limits = policy.policy().bulkhead();
    return Math.max(1, (limits.maxConcurrent() + limits.maxQueued()) / 2);
  }

  /** A gRPC peer: the {@code service} in discovery, called under the {@code target}'s policy. */
  public GrpcPeer grpcPeer(
      io.courier.discovery.Discovery discovery,
      String service,
      String target,
      io.vertx.grpc.client.GrpcClient client) {
    return new GrpcPeer(vertx, discovery, service, target(target), client);
  }

  /** An HTTP peer: the {@code service} in discovery, called under the {@code target}'s policy. */
  public HttpPeer httpPeer(
      io.courier.discovery.Discovery discovery,
      String service,
      String target,
      io.vertx.ext.web.client.WebClient client) {
    return new HttpPeer(vertx, discovery, service, target(target), client);
  }

  /** A fresh policy (its own breaker, budget and bulkhead) for the named target. */
  public TargetPolicy target(String name) {
    ResiliencePolicies.Target target = policies.targets().get(name);
    if (target == null) {
      throw new IllegalStateException(
          "the resilience policy file has no target '"
              + name
              + "'; add targets."
              + name
              + " to it");
    }
    return new TargetPolicy(vertx, name, target, policies.policies().get(target.policy()));
  }
}
