package io.courier.service;

import io.courier.discovery.Discovery;
import io.courier.resilience.InboundPolicy;
import io.courier.resilience.PolicyFileWatcher;
import io.courier.resilience.ResilienceConfig;
import io.courier.resilience.ResiliencePolicies;
import io.courier.resilience.TargetPolicy;
import io.courier.runtime.RoleContext;
import io.courier.runtime.admin.AdminSections;
import io.courier.runtime.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.consul.ConsulClientOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.grpc.client.GrpcClient;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resilience policies of the calls a service makes and of the calls it serves, read from the
 * policy file the configuration names ({@code resilience.policyFile}), the same file the resilience
 * role serves, and kept applied: the file is checked every {@code resilience.reloadPeriodMs}
 * ({@link PolicyFileWatcher}), and a valid change updates in place every {@link TargetPolicy} and
 * {@link InboundPolicy} handed out, so their holders see the new limits without a restart. An
 * invalid change is refused with the key named, and the old policies keep working.
 */
public final class Policies {

  private static final Logger LOG = LoggerFactory.getLogger(Policies.class);

  private final Vertx vertx;
  private final Meters meters;
  private final PeerDirectory peers;
  private final PolicyFileWatcher watcher;
  private final String zone;
  private final List<TargetPolicy> targets = new CopyOnWriteArrayList<>();
  private final List<InboundPolicy> inbound = new CopyOnWriteArrayList<>();

  /** The file as applied last; read and replaced under this object's lock. */
  private ResiliencePolicies current;

  private Policies(
      Vertx vertx,
      ResilienceConfig config,
      ConsulClientOptions agent,
      Meters meters,
      AdminSections admin,
      String zone) {
    this.vertx = vertx;
    this.zone = zone;
    this.meters = meters;
    this.peers = PeerDirectory.of(admin);
    BreakerTransitions.of(vertx, admin);
    this.watcher =
        new PolicyFileWatcher(
            vertx, config.policyFile(), config.reloadPeriodMs(), "service policies", this::reload);
    if (config.fromConsul() && agent != null) {
      watcher.withConsulKey(agent, config.consulKey());
    }
  }

  /**
   * Reads and validates the file without blocking, then watches it on timers of the calling context
   * (cancelled when the verticle that called this is undeployed, or by {@link #close()}).
   */
  public static Future<Policies> load(Vertx vertx, RoleContext context) {
    return load(
        vertx,
        context.config(ResilienceConfig.SECTION),
        context.config().discovery().consulClientOptions(),
        context.meters(),
        context.admin(),
        context.config().discovery().zone());
  }

  /**
   * As {@link #load(Vertx, RoleContext)}, outside a runtime.
   *
   * @param meters where the policies' calls are measured
   * @param admin where the peers' instances are shown
   */
  public static Future<Policies> load(
      Vertx vertx, ResilienceConfig config, Meters meters, AdminSections admin) {
    return load(vertx, config, null, meters, admin, null);
  }

  /**
   * As {@link #load(Vertx, ResilienceConfig, Meters, AdminSections)}, also following {@code
   * resilience.consulKey} on the Consul agent {@code agent} when the key is set.
   *
   * @param zone this process's zone ({@code discovery.zone}), which targets whose routing prefers
   *     the caller's zone look for; null for none
   */
  public static Future<Policies> load(
      Vertx vertx,
      ResilienceConfig config,
      ConsulClientOptions agent,
      Meters meters,
      AdminSections admin,
      String zone) {
    Policies policies = new Policies(vertx, config, agent, meters, admin, zone);
    return policies.watcher.start().map(parsed -> policies);
  }

  /** Stops watching the file; the policies handed out keep the limits applied last. */
  public void close() {
    watcher.stop();
  }

  /** Applies a valid file to every policy handed out. */
  private synchronized void reload(ResiliencePolicies parsed) {
    current = parsed;
    for (TargetPolicy policy : targets) {
      ResiliencePolicies.Target target = parsed.targets().get(policy.name());
      if (target == null) {
        LOG.warn(
            "{}: target '{}' is in use and was removed from the policies; its calls keep the"
                + " policy loaded before",
            watcher.source(),
            policy.name());
        continue;
      }
      policy.update(target, parsed.policies().get(target.policy()));
    }
    for (InboundPolicy policy : inbound) {
      policy.update(parsed.inbound().get(policy.service()));
    }
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
  public GrpcPeer grpcPeer(Discovery discovery, String service, String target, GrpcClient client) {
    TargetPolicy policy = target(target);
    return new GrpcPeer(instances(discovery, service, policy), policy, client, meters.registry());
  }

  /** An HTTP peer: the {@code service} in discovery, called under the {@code target}'s policy. */
  public HttpPeer httpPeer(Discovery discovery, String service, String target, WebClient client) {
    TargetPolicy policy = target(target);
    return new HttpPeer(instances(discovery, service, policy), policy, client);
  }

  /** The instances of {@code service} calls under {@code policy} go to, in the admin view. */
  private PeerInstances instances(Discovery discovery, String service, TargetPolicy policy) {
    return new PeerInstances(vertx, meters, peers, discovery, service, policy, zone);
  }

  /** Whether the policy file as applied now declares the target {@code name}. */
  public synchronized boolean hasTarget(String name) {
    return current.targets().containsKey(name);
  }

  /** A fresh policy (its own breaker, budget and bulkhead) for the named target. */
  public synchronized TargetPolicy target(String name) {
    ResiliencePolicies policies = current;
    ResiliencePolicies.Target target = policies.targets().get(name);
    if (target == null) {
      throw new IllegalStateException(
          "the resilience policy file has no target '"
              + name
              + "'; add targets."
              + name
              + " to it");
    }
    TargetPolicy policy =
        new TargetPolicy(vertx, meters, name, target, policies.policies().get(target.policy()));
    targets.add(policy);
    return policy;
  }

  /**
   * The limits on the calls {@code service} serves (its {@code inbound} section; none when the file
   * has none, until a reload brings one), updated in place on reload.
   */
  public synchronized InboundPolicy inbound(String service) {
    InboundPolicy policy = new InboundPolicy(meters, service, current.inbound().get(service));
    inbound.add(policy);
    return policy;
  }
}
