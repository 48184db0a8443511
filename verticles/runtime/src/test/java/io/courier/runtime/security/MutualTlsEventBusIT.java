package io.courier.runtime.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.CourierVertx;
import io.courier.runtime.config.ClusterConfig;
import io.courier.runtime.config.ClusterConfig.KubernetesConfig;
import io.courier.runtime.config.MtlsConfig;
import io.courier.runtime.impl.ClusterFactory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The clustered event bus under mutual TLS: two members built by {@link ClusterFactory} with
 * certificates of the test's CA talk across Hazelcast on 127.0.0.1; a third member joins the same
 * Hazelcast cluster (membership is not what mTLS protects) but its event bus has no certificate,
 * one from another CA or an expired one, and exchanges no message with them in either direction.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The clustered event bus with mutual TLS")
class MutualTlsEventBusIT {

  private static final String INBOX = "test.mtls.inbox";
  private static final String INTRUDER_INBOX = "test.mtls.intruder";
  private static final long ATTEMPT_MS = 1500;

  @TempDir static Path certs;

  private final String cluster = "mtls-it-" + UUID.randomUUID();
  private final List<Integer> ports = new ArrayList<>();
  private final Queue<String> received = new ConcurrentLinkedQueue<>();
  private DevCertificates ca;
  private Vertx first;
  private Vertx second;
  private Vertx intruder;

  /** Ways a member's event bus can fail to prove itself. */
  enum Intruder {
    NO_CERTIFICATE,
    FOREIGN_CA,
    EXPIRED
  }

  @BeforeAll
  void startTwoGoodMembers() throws Exception {
    for (int i = 0; i < 2 + Intruder.values().length; i++) {
      ports.add(freePort());
    }
    ca = DevCertificates.authority("mtls test CA", Duration.ofDays(1));
    ca.writeCertificate(certs.resolve("ca.pem"));
    first = member(0, "order-service").await(60, TimeUnit.SECONDS);
    second = member(1, "gateway").await(60, TimeUnit.SECONDS);
    first
        .eventBus()
        .<String>consumer(
            INBOX,
            message -> {
              received.add(message.body());
              message.reply("got " + message.body());
            })
        .completion()
        .await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stopIntruder() throws Exception {
    if (intruder != null) {
      intruder.close().await(30, TimeUnit.SECONDS);
      intruder = null;
    }
  }

  @AfterAll
  void stopMembers() throws Exception {
    for (Vertx member : new Vertx[] {second, first}) {
      if (member != null) {
        member.close().await(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  @Timeout(30)
  @DisplayName("carries a request and its reply between members holding certificates of the CA")
  void shouldExchangeMessagesBetweenMembersWithGoodCertificates() throws Exception {
    String reply =
        second
            .eventBus()
            .<String>request(INBOX, "from gateway", new DeliveryOptions().setSendTimeout(10_000))
            .await(15, TimeUnit.SECONDS)
            .body();

    assertThat(reply).isEqualTo("got from gateway");
    assertThat(received).contains("from gateway");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Intruder.class)
  @Timeout(60)
  @DisplayName("carries no message to or from a member whose event bus has")
  void shouldExchangeNothingWithAMemberWithoutAGoodCertificate(Intruder kind) throws Exception {
    intruder = intruder(kind).await(60, TimeUnit.SECONDS);
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    intruder
        .eventBus()
        .<String>consumer(INTRUDER_INBOX, message -> heard.add(message.body()))
        .completion()
        .await(10, TimeUnit.SECONDS);

    // both directions at once, each within its own deadline
    Future<Message<Object>> fromIntruder =
        intruder
            .eventBus()
            .request(INBOX, "from " + kind, new DeliveryOptions().setSendTimeout(ATTEMPT_MS));
    Future<Message<Object>> toIntruder =
        first
            .eventBus()
            .request(
                INTRUDER_INBOX, "to " + kind, new DeliveryOptions().setSendTimeout(ATTEMPT_MS));
    Throwable sent = failure(fromIntruder);
    Throwable delivered = failure(toIntruder);

    // The handlers were found (so this is not NO_HANDLERS): the messages died on the connection.
    assertThat(sent).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) sent).failureType()).isEqualTo(ReplyFailure.TIMEOUT);
    assertThat(delivered).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) delivered).failureType()).isEqualTo(ReplyFailure.TIMEOUT);
    assertThat(received).doesNotContain("from " + kind);
    assertThat(heard).isEmpty();
    // and the good members still talk to each other
    assertThat(
            second
                .eventBus()
                .<String>request(INBOX, "after " + kind)
                .await(15, TimeUnit.SECONDS)
                .body())
        .isEqualTo("got after " + kind);
  }

  private static Throwable failure(Future<? extends io.vertx.core.eventbus.Message<?>> future)
      throws Exception {
    return future
        .map(answer -> (Throwable) new AssertionError("answered: " + answer.body()))
        .otherwise(error -> error)
        .await(ATTEMPT_MS + 10_000, TimeUnit.MILLISECONDS);
  }

  private Future<Vertx> member(int index, String role) throws Exception {
    DevCertificates.Issued issued = ca.issue(role, Duration.ofHours(1), certs);
    return CourierVertx.create(
        clusterConfig(index),
        new MtlsConfig(
            true,
            issued.certificate().toString(),
            issued.key().toString(),
            certs.resolve("ca.pem").toString(),
            List.of()));
  }

  /** A member built by hand, as a misconfigured or hostile process would be. */
  private Future<Vertx> intruder(Intruder kind) throws Exception {
    Path dir = certs.resolve(kind.name());
    EventBusOptions eventBus =
        new EventBusOptions()
            .setHost("127.0.0.1")
            .setPort(0)
            .setClusterPublicHost("127.0.0.1")
            // it would talk to anyone: only the good members' checks can stop it
            .setTrustAll(true);
    DevCertificates.Issued issued =
        switch (kind) {
          case NO_CERTIFICATE -> null;
          case FOREIGN_CA ->
              DevCertificates.authority("foreign CA", Duration.ofDays(1))
                  .issue("order-service", Duration.ofHours(1), dir);
          case EXPIRED ->
              ca.issue(
                  "order-service",
                  Instant.now().minus(Duration.ofDays(2)),
                  Instant.now().minus(Duration.ofDays(1)),
                  dir);
        };
    if (issued != null) {
      eventBus
          .setSsl(true)
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertPath(issued.certificate().toString())
                  .setKeyPath(issued.key().toString()));
    }
    int index = 2 + kind.ordinal();
    return Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(eventBus))
        .withClusterManager(
            new HazelcastClusterManager(ClusterFactory.hazelcastConfig(clusterConfig(index))))
        .buildClustered();
  }

  private ClusterConfig clusterConfig(int index) {
    return new ClusterConfig(
        true,
        cluster,
        "127.0.0.1",
        "127.0.0.1",
        ports.get(index),
        0,
        ports.stream().map(port -> "127.0.0.1:" + port).toList(),
        new KubernetesConfig(false, "", "", ""),
        "");
  }

  private static int freePort() {
    return io.courier.kafka.embedded.LoopbackPorts.free();
  }
}
