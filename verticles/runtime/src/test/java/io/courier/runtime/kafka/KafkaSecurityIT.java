package io.courier.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.codec.Event;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.LoopbackPorts;
import io.courier.runtime.config.InvalidConfigException;
import io.courier.runtime.config.KafkaConfig.ConsumerConfig;
import io.courier.runtime.config.KafkaConfig.ProducerConfig;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.courier.runtime.config.KafkaSecurityConfig;
import io.courier.runtime.security.DevCertificates;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Courier's Kafka clients over TLS and SASL ({@code kafka.security}) against a real broker: the
 * embedded KRaft node with a SASL_SSL listener beside its PLAINTEXT one, its certificate issued by
 * a CA the test makes, SCRAM-SHA-512 users created through the admin API. The publisher, a consumer
 * and the topic admin connect with the right credentials; a wrong password and a broker certificate
 * of a CA the client does not trust are refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Kafka clients over SASL_SSL")
class KafkaSecurityIT {

  private static final String USER = "courier";
  private static final String PASSWORD = "s3cret-\"quoted\"-\\backslash";

  @TempDir static Path certs;

  private EmbeddedKafkaBroker broker;
  private int secure;
  private Path caFile;
  private final Vertx vertx = Vertx.vertx();

  @BeforeAll
  void startBroker() throws Exception {
    DevCertificates ca = DevCertificates.authority("kafka test CA", Duration.ofDays(1));
    caFile = ca.writeCertificate(certs.resolve("ca.pem"));
    DevCertificates.Issued node = ca.issue("kafka", Duration.ofHours(1), certs.resolve("node"));
    int plain = LoopbackPorts.free();
    int controller = LoopbackPorts.free();
    secure = LoopbackPorts.free();
    String prefix = "listener.name.sasl_ssl.";
    broker =
        EmbeddedKafkaBroker.builder()
            .port(plain)
            .controllerPort(controller)
            .property(
                "listeners",
                "PLAINTEXT://127.0.0.1:"
                    + plain
                    + ",CONTROLLER://127.0.0.1:"
                    + controller
                    + ",SASL_SSL://127.0.0.1:"
                    + secure)
            .property(
                "advertised.listeners",
                "PLAINTEXT://127.0.0.1:" + plain + ",SASL_SSL://127.0.0.1:" + secure)
            .property(
                "listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL")
            .property(prefix + "ssl.keystore.type", "PEM")
            .property(
                prefix + "ssl.keystore.certificate.chain", Files.readString(node.certificate()))
            .property(prefix + "ssl.keystore.key", Files.readString(node.key()))
            .property(prefix + "sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN")
            .property(
                prefix + "scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;")
            .property(
                prefix + "plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required"
                    + " user_plainuser=\"plainpass\";")
            .build()
            .start();
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      admin
          .alterUserScramCredentials(
              List.of(
                  new UserScramCredentialUpsertion(
                      USER, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), PASSWORD)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  void stopBroker() throws Exception {
    vertx.close().await(20, TimeUnit.SECONDS);
    if (broker != null) {
      broker.close();
    }
  }

  private final List<AutoCloseable> opened = new java.util.ArrayList<>();

  @AfterEach
  void closeClients() throws Exception {
    for (AutoCloseable each : opened) {
      each.close();
    }
    opened.clear();
  }

  private KafkaConnection scram(String password, Path trust) {
    return new KafkaConnection(
        "127.0.0.1:" + secure,
        new KafkaSecurityConfig(
            "SASL_SSL", trust.toString(), "", "", "SCRAM-SHA-512", USER, password, "", "", "", ""));
  }

  private static Event<OrderPlaced> placed(String id) {
    return Event.of(
        "/test", id, OrderPlaced.newBuilder().setOrder(Order.newBuilder().setId(id)).build());
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "publishes, creates topics and consumes with SCRAM-SHA-512 over TLS (a password with quotes"
          + " and a backslash included)")
  void shouldWorkOverSaslSsl() throws Exception {
    KafkaConnection kafka = scram(PASSWORD, caFile);
    String topic = "secure-" + UUID.randomUUID();
    KafkaTopics.ensure(kafka, TopicsConfig.DEFAULTS, List.of(TopicSpec.events(topic)));

    EventPublisher.StandalonePublisher publisher =
        EventPublisher.create(vertx, kafka, ProducerConfig.DEFAULTS, KafkaObservability.none(vertx))
            .await(60, TimeUnit.SECONDS);
    opened.add(() -> publisher.close(Duration.ofSeconds(10)).await(20, TimeUnit.SECONDS));
    Event<OrderPlaced> event = placed("o-1");
    publisher.publish(topic, event).await(60, TimeUnit.SECONDS);

    Promise<String> received = Promise.promise();
    EventConsumer consumer =
        EventConsumer.create(
            vertx,
            kafka,
            ConsumerConfig.DEFAULTS.withGroupId("secure-" + UUID.randomUUID()),
            TopicsConfig.DEFAULTS,
            List.of(topic),
            e -> {
              received.tryComplete(e.id());
              return Future.succeededFuture();
            },
            KafkaObservability.none(vertx));
    opened.add(() -> consumer.stop(Duration.ofSeconds(10)).await(20, TimeUnit.SECONDS));
    consumer.start().await(60, TimeUnit.SECONDS);

    assertThat(received.future().await(60, TimeUnit.SECONDS)).isEqualTo(event.id());
    assertThat(new DeadLetters(vertx, kafka).list(topic, 10).await(60, TimeUnit.SECONDS))
        .as("the dead-letter tools connect the same way")
        .isEmpty();
  }

  @Test
  @Timeout(120)
  @DisplayName("is refused with a wrong password and by a client that does not trust its CA")
  void shouldBeRefusedWithoutTheRightCredentials(@TempDir Path other) throws Exception {
    Path stranger =
        DevCertificates.authority("stranger", Duration.ofDays(1))
            .writeCertificate(other.resolve("other-ca.pem"));
    List<TopicSpec> topic = List.of(TopicSpec.events("refused-" + UUID.randomUUID()));

    assertThatThrownBy(
            () -> KafkaTopics.ensure(scram("wrong", caFile), TopicsConfig.DEFAULTS, topic))
        .as("a wrong password")
        .hasStackTraceContaining("Authentication failed");
    assertThatThrownBy(
            () -> KafkaTopics.ensure(scram(PASSWORD, stranger), TopicsConfig.DEFAULTS, topic))
        .as("a broker certificate of a CA the client does not trust")
        .hasStackTraceContaining("SSL handshake failed");
  }

  @Test
  @DisplayName("refuses settings that cannot work, naming the key")
  void shouldRefuseSettingsThatCannotWork() {
    assertThatThrownBy(
            () ->
                new KafkaSecurityConfig(
                    "SASL_SSL", "", "", "", "SCRAM-SHA-1", "u", "p", "", "", "", ""))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("saslMechanism");
    assertThatThrownBy(
            () ->
                new KafkaSecurityConfig(
                    "SASL_SSL", "", "", "", "SCRAM-SHA-512", "u", "", "", "", "", ""))
        .hasMessageContaining("password");
    assertThatThrownBy(
            () ->
                new KafkaSecurityConfig(
                    "SASL_SSL",
                    "",
                    "",
                    "",
                    "OAUTHBEARER",
                    "",
                    "",
                    "http://idp/token",
                    "c",
                    "s",
                    ""))
        .hasMessageContaining("oauthTokenEndpoint");
    assertThatThrownBy(
            () ->
                new KafkaSecurityConfig("PLAINTEXT", "/ca.pem", "", "", "", "", "", "", "", "", ""))
        .hasMessageContaining("caFile");
    assertThatThrownBy(() -> new KafkaSecurityConfig("TLS", "", "", "", "", "", "", "", "", "", ""))
        .hasMessageContaining("protocol");
    KafkaSecurityConfig oauth =
        new KafkaSecurityConfig(
            "SASL_SSL", "", "", "", "OAUTHBEARER", "", "", "https://idp/token", "id", "se\"c", "s");
    assertThat(oauth.clientProperties())
        .containsEntry("sasl.mechanism", "OAUTHBEARER")
        .containsEntry("sasl.oauthbearer.token.endpoint.url", "https://idp/token")
        .containsEntry(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
                + " clientId=\"id\" clientSecret=\"se\\\"c\" scope=\"s\";");
    assertThat(oauth.toString()).doesNotContain("se\"c");
  }
}
