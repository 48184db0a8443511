package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Topics;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.resilience.TargetBreaker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.kafka.DeadLetters;
import io.courier.runtime.kafka.DeliveryHeaders;
import io.courier.runtime.kafka.KafkaConnection;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's console in a real browser: every role of the dev profile in one process with a
 * token on its admin server, one order placed and one undecodable payment outcome parked; headless
 * Chromium, driven over the DevTools protocol, signs in with the token and must show the members
 * and their roles, the breakers, the consumer groups' lag, the parked record with its headers and
 * payload, and move it back with a replay. The page's screenshot is left in {@code
 * target/console.png}.
 */
@ExtendWith(SharedKafkaBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The operator's console in a browser")
class ConsoleBrowserIT {

  private static final Logger LOG = LoggerFactory.getLogger(ConsoleBrowserIT.class);
  private static final Duration SHOWN = Duration.ofSeconds(20);

  @TempDir static Path work;

  private final String run = "c" + UUID.randomUUID().toString().substring(0, 8) + "-";
  private final String adminToken = "console-" + UUID.randomUUID() + UUID.randomUUID();
  private EmbeddedKafkaBroker kafka;
  private CourierRuntime runtime;
  private FlowSeeds seeds;
  private Vertx vertx;

  @BeforeAll
  void start(EmbeddedKafkaBroker kafka) throws Exception {
    this.kafka = kafka;
    vertx = Vertx.vertx();
    Path keys = work.resolve("keys");
    io.courier.gateway.DevSigningKey.loadOrCreate(keys);
    seeds = FlowSeeds.write(work, run, 3, 3, 100);
    Path tokenFile = Files.writeString(work.resolve("admin.token"), adminToken + "\n");
    runtime =
        CourierRuntime.start(
                OrderFlowIT.config(
                    kafka,
                    seeds,
                    Map.of(
                        "courier.admin.tokenFile",
                        tokenFile.toString(),
                        "courier.gateway.auth.mode",
                        "jwt",
                        "courier.gateway.auth.devKeyDir",
                        keys.toString(),
                        "courier.security.identity.devKeyDir",
                        keys.toString())),
                Roles.available())
            .await(120, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(180)
  @DisplayName(
      "shows members, roles, breakers, lag and a parked record after signing in, and replays it")
  void shouldShowThePlatformAndReplayADeadLetter() throws Exception {
    long begin = System.nanoTime();
    FlowClient client =
        new FlowClient(
            runtime.endpoints().get("gateway"), FlowClient.adminToken(work.resolve("keys")));
    FlowClient.Placed placed =
        client
            .place(
                run + "order",
                FlowClient.orderBody(
                    seeds.userIds().get(0), List.of(new FlowClient.Line(seeds.skus().get(0), 1))))
            .get(30, TimeUnit.SECONDS);
    assertThat(placed.status()).as("the order %s", placed.body()).isEqualTo(202);
    String poison = run + "poison";
    park(poison);
    String parkedId = awaitParked(poison);

    String admin = runtime.endpoints().get("admin");
    String console = admin.substring(0, admin.length() - "/admin".length()) + "/console";
    Path profile = Files.createTempDirectory(work, "chromium-");
    try (HeadlessChromium browser = HeadlessChromium.launch(vertx, profile, SHOWN)) {
      browser.navigate(console);

      browser.waitFor(
          "the sign-in form, the admin server wanting a token",
          "!document.getElementById('login').hidden",
          SHOWN);
      assertThat(browser.text("#status")).isEqualTo("needs a token");
      browser.evaluate(
          "document.getElementById('token').value = "
              + HeadlessChromium.quote(adminToken)
              + "; document.getElementById('login').requestSubmit(); true");

      browser.waitFor(
          "the members with their roles",
          "document.querySelector('#members tbody').innerText.includes('order-service')",
          SHOWN);
      String members = browser.text("#members tbody");
      assertThat(members)
          .contains("local (this)")
          .contains("READY")
          .contains("gateway")
          .contains("user-service")
          .contains("inventory-service")
          .contains("payment-service")
          .contains("notification-service")
          .contains("admin: " + admin);
      assertThat(browser.text("#login-error")).isEmpty();

      browser.waitFor(
          "the breakers",
          "document.querySelector('#breakers tbody').innerText.includes('CLOSED')",
          SHOWN);
      String breakers = browser.text("#breakers tbody");
      assertThat(breakers)
          .contains("user-service")
          .contains("CLOSED")
          .containsPattern("\\d+ / \\d+ / \\d+");

      // A state change as a breaker announces it on the event bus, shown among the transitions.
      runtime
          .vertx()
          .eventBus()
          .publish(
              TargetBreaker.STATE_ADDRESS,
              new JsonObject()
                  .put("target", "user-service")
                  .put("instance", "127.0.0.1:1")
                  .put("state", "HALF_OPEN"));
      browser.waitFor(
          "the breaker's transition",
          "document.querySelector('#transitions tbody').innerText.includes('HALF_OPEN')",
          SHOWN);
      assertThat(browser.text("#transitions tbody"))
          .contains("user-service")
          .contains("127.0.0.1:1");

      browser.waitFor(
          "the consumer groups' lag per partition",
          "document.querySelector('#lag tbody').innerText.includes('" + Topics.PAYMENTS + "')",
          SHOWN);
      String lag = browser.text("#lag tbody");
      assertThat(lag)
          .contains("order-service")
          .contains("payment-service")
          .contains(Topics.ORDERS)
          .containsPattern("p0 \\d+");

      String row = "#dlt tbody tr[data-id=\"" + parkedId + "\"]";
      browser.waitFor(
          "the payments topic among the dead-letter topics",
          "[...document.getElementById('dlt-topic').options].some(o => o.value === '"
              + Topics.PAYMENTS
              + "')",
          SHOWN);
      browser.evaluate(
          "const s = document.getElementById('dlt-topic'); s.value = '"
              + Topics.PAYMENTS
              + "'; s.dispatchEvent(new Event('change')); true");
      browser.waitFor(
          "the parked record " + parkedId, "document.querySelector(" + quote(row) + ")", SHOWN);
      assertThat(browser.text(row)).contains(poison).contains("no");

      browser.evaluate("document.querySelector(" + quote(row) + ").click(); true");
      browser.waitFor(
          "the parked record's headers and payload",
          "document.getElementById('dlt-payload').innerText.includes('base64')",
          SHOWN);
      assertThat(browser.text("#dlt-headers"))
          .contains(DeliveryHeaders.ERROR_CLASS)
          .contains(DeliveryHeaders.ORIGINAL_TOPIC);
      assertThat(browser.text("#dlt-payload")).contains("undecoded");

      browser.evaluate(
          "window.confirm = () => true;"
              + " document.querySelector("
              + quote(row + " input[type=checkbox]")
              + ").click();"
              + " document.getElementById('dlt-replay').click(); true");
      browser.waitFor(
          "the record shown as replayed",
          "document.querySelector("
              + quote(row)
              + ").dataset.replayed === 'true'"
              + " && document.getElementById('dlt-message').innerText.includes('replayed 1')",
          SHOWN);
      assertThat(browser.text("#dlt-message")).startsWith("replayed 1 to " + Topics.PAYMENTS);

      Path shot = Path.of("target", "console.png");
      Files.write(shot, browser.screenshot());
      LOG.info("the console's screenshot: {}", shot.toAbsolutePath());
    }
    DeadLetters.Replay again =
        DeadLetters.replayBlocking(
            KafkaConnection.plaintext(kafka.bootstrapServers()),
            Topics.PAYMENTS,
            new DeadLetters.Selection(Set.of(parkedId), null, null),
            true);
    assertThat(again.replayedBefore()).as("the ledger of replayed ids").containsExactly(parkedId);
    LOG.info(
        "the console test took {} ms after start-up",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
  }

  private static String quote(String text) {
    return HeadlessChromium.quote(text);
  }

  /** An undecodable payment outcome: the payment consumer parks it in the DLT. */
  private void park(String key) throws Exception {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer
          .send(new ProducerRecord<>(Topics.PAYMENTS, key, new byte[] {(byte) 0xff, 0x13, 0x37}))
          .get(20, TimeUnit.SECONDS);
    }
  }

  /** The id of the dead letter of {@code key}, once parked. */
  private String awaitParked(String key) {
    AtomicReference<String> id = new AtomicReference<>();
    FlowClient.awaitUntil(
        "a dead letter of " + key + " in " + Topics.PAYMENTS + DeliveryHeaders.DLT_SUFFIX,
        Duration.ofSeconds(60),
        () -> {
          DeadLetters.listBlocking(kafka.bootstrapServers(), Topics.PAYMENTS, 10_000).stream()
              .filter(letter -> key.equals(letter.key()))
              .findFirst()
              .ifPresent(letter -> id.set(letter.id()));
          return id.get() != null;
        });
    return id.get();
  }
}
