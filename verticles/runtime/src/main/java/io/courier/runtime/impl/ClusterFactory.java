package io.courier.runtime.impl;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.JoinConfig;
import io.courier.runtime.config.ClusterConfig;
import io.courier.runtime.config.MetricsConfig;
import io.courier.runtime.config.MtlsConfig;
import io.courier.runtime.config.TracingConfig;
import io.courier.runtime.metrics.CourierMetrics;
import io.courier.runtime.security.MutualTls;
import io.courier.runtime.tracing.CourierTracing;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.FileNotFoundException;
import java.util.List;
import java.util.Optional;

/** Builds the Vert.x instance of a process: plain, or clustered over Hazelcast. */
public final class ClusterFactory {

  private ClusterFactory() {}

  /**
   * A Vert.x instance with what was built along with it.
   *
   * @param vertx the instance
   * @param registry the Prometheus registry it reports to, when metrics are on
   * @param tracing the OpenTelemetry SDK it traces with, when tracing is on; shut it down after
   *     Vert.x is closed
   */
  public record Built(
      Vertx vertx,
      Optional<PrometheusMeterRegistry> registry,
      Optional<OpenTelemetrySdk> tracing) {}

  /** A plain or clustered Vert.x, as the configuration says, without metrics or tracing. */
  public static Future<Vertx> create(ClusterConfig cluster, MtlsConfig mtls) {
    return create(
            cluster, new MetricsConfig(false, List.of()), TracingConfig.off(), mtls, List.of())
        .map(Built::vertx);
  }

  /**
   * A plain or clustered Vert.x, as the configuration says, reporting to its own registry; when
   * {@code mtls} is enabled the clustered event bus runs over mutual TLS. Its PEM files are read
   * here, before Vert.x exists (so on no event loop).
   */
  public static Future<Built> create(
      ClusterConfig cluster,
      MetricsConfig metrics,
      TracingConfig tracing,
      MtlsConfig mtls,
      List<String> roles) {
    // A blocked event loop is reported with its stack at the first warning (2 s), not only past
    // 5 s: the stack is what says which code to move off the loop.
    VertxOptions options =
        new VertxOptions()
            .setWarningExceptionTime(VertxOptions.DEFAULT_MAX_EVENT_LOOP_EXECUTE_TIME)
            .setWarningExceptionTimeUnit(VertxOptions.DEFAULT_MAX_EVENT_LOOP_EXECUTE_TIME_UNIT);
    Optional<PrometheusMeterRegistry> registry = CourierMetrics.install(options, metrics);
    VertxBuilder builder = Vertx.builder();
    registry.ifPresent(r -> builder.withMetrics(CourierMetrics.factory(r)));
    Optional<OpenTelemetrySdk> sdk =
        CourierTracing.install(options, builder, tracing, instanceId(cluster), roles);
    builder.with(options);
    return build(cluster, mtls, options, builder).map(vertx -> new Built(vertx, registry, sdk));
  }

  /**
   * This process among its peers, in its log lines ({@code instance}) and spans ({@code
   * service.instance.id}): the address it gives the cluster ({@code cluster.publicHost}), else the
   * host name a container runtime sets ({@code HOSTNAME}, a Kubernetes pod's name), then its pid,
   * e.g. {@code 10.1.2.3/1} or {@code orders-7f9c-x2/1}; {@code pid-4711} when neither is known.
   */
  public static String instanceId(ClusterConfig cluster) {
    String host =
        cluster.publicHost().isBlank()
            ? System.getenv().getOrDefault("HOSTNAME", "")
            : cluster.publicHost();
    long pid = ProcessHandle.current().pid();
    return host.isBlank() ? "pid-" + pid : host + "/" + pid;
  }

  private static Future<Vertx> build(
      ClusterConfig cluster, MtlsConfig mtls, VertxOptions options, VertxBuilder builder) {
    if (!cluster.enabled()) {
      return Future.succeededFuture(builder.build());
    }
    Config hazelcast;
    MutualTls tls;
    try {
      hazelcast = hazelcastConfig(cluster);
      tls = MutualTls.read(mtls);
    } catch (RuntimeException | FileNotFoundException e) {
      return Future.failedFuture(e);
    }
    String publicHost = cluster.publicHost().isBlank() ? cluster.host() : cluster.publicHost();
    EventBusOptions eventBus =
        new EventBusOptions()
            .setHost(cluster.host())
            .setPort(cluster.eventBusPort())
            .setClusterPublicHost(publicHost);
    options.setEventBusOptions(tls.eventBus(eventBus));
    return builder
        .with(options)
        .withClusterManager(new HazelcastClusterManager(hazelcast))
        .buildClustered();
  }

  /**
   * Hazelcast settings: the given XML file or Vert.x's default (which holds the maps Vert.x needs),
   * then name, port, interface and discovery from Courier's configuration.
   */
  public static Config hazelcastConfig(ClusterConfig cluster) throws FileNotFoundException {
    Config config =
        cluster.hazelcastConfig().isBlank()
            ? ConfigUtil.loadConfig()
            : new FileSystemXmlConfig(cluster.hazelcastConfig());
    config.setClusterName(cluster.name());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.getNetworkConfig().setPort(cluster.port()).setPortAutoIncrement(false);
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (cluster.kubernetes().enabled()) {
      join.getTcpIpConfig().setEnabled(false);
      var kubernetes = join.getKubernetesConfig().setEnabled(true);
      if (!cluster.kubernetes().serviceDns().isBlank()) {
        kubernetes.setProperty("service-dns", cluster.kubernetes().serviceDns());
      } else {
        kubernetes.setProperty("service-name", cluster.kubernetes().serviceName());
        if (!cluster.kubernetes().namespace().isBlank()) {
          kubernetes.setProperty("namespace", cluster.kubernetes().namespace());
        }
      }
    } else {
      config.setProperty("hazelcast.socket.bind.any", "false");
      config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface(cluster.host());
      join.getKubernetesConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true);
      join.getTcpIpConfig().getMembers().clear();
      cluster.members().forEach(join.getTcpIpConfig()::addMember);
    }
    return config;
  }
}
