package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.runtime.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Inbound policies")
class InboundPolicyTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** The shipped file with {@code inbound} as its inbound section. */
  private static String withInbound(String inbound) throws IOException {
    String shipped = Files.readString(Path.of("..", "..", "conf", "resilience.json"));
    int section = shipped.indexOf("\"inbound\"");
    assertThat(section).as("the shipped file has an inbound section").isPositive();
    String outbound = shipped.substring(0, section).stripTrailing();
    return outbound + " \"inbound\": " + inbound + "}";
  }

  private static ResiliencePolicies.Inbound inbound(String section) {
    return ResiliencePolicies.parse(
            "{\"policies\": {}, \"targets\": {}, \"inbound\": {\"users\": " + section + "}}", "t")
        .inbound()
        .get("users");
  }

  @Test
  @DisplayName("shipped in conf/ cover the services that serve gRPC")
  void shouldParseShippedInbound() throws IOException {
    ResiliencePolicies shipped =
        ResiliencePolicies.parse(
            Files.readString(Path.of("..", "..", "conf", "resilience.json")), "shipped");

    assertThat(shipped.inbound()).containsKeys("user-service", "inventory-service");
    assertThat(shipped.inbound().get("inventory-service").timeoutMs()).isPositive();
    assertThat(shipped.inbound().get("inventory-service").bulkhead().maxConcurrent()).isPositive();
  }

  @Test
  @DisplayName("are optional: a file without an inbound section has none")
  void shouldBeOptional() {
    assertThat(ResiliencePolicies.parse("{\"policies\": {}, \"targets\": {}}", "t").inbound())
        .isEmpty();
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> badSections() {
    return java.util.stream.Stream.of(
        org.junit.jupiter.params.provider.Arguments.of(
            "{\"timeoutMs\": 100, \"bulkhed\": {}}", "key 'inbound.users.bulkhed'"),
        org.junit.jupiter.params.provider.Arguments.of(
            "{\"timeoutMs\": -1}", "key 'inbound.users.timeoutMs' must be positive, was -1"),
        org.junit.jupiter.params.provider.Arguments.of(
            "{\"bulkhead\": {\"maxConcurrent\": 0, \"maxQueued\": 1}}",
            "key 'inbound.users.bulkhead.maxConcurrent' must be >= 1, was 0"),
        org.junit.jupiter.params.provider.Arguments.of(
            "{\"bulkhead\": {\"maxConcurrent\": 4, \"maxQueued\": -1}}",
            "key 'inbound.users.bulkhead.maxQueued' must be >= 0, was -1"),
        org.junit.jupiter.params.provider.Arguments.of(
            "{\"bulkhead\": {\"maxConcurrent\": 4, \"maxQueued\": 1, \"adaptive\":"
                + " {\"algorithm\": \"aimd\", \"latencyThresholdMs\": 50,"
                + " \"backoffRatio\": 1.5}}}",
            "key 'inbound.users.bulkhead.adaptive.backoffRatio' must be in (0, 1), was 1.5"),
        org.junit.jupiter.params.provider.Arguments.of(
            "{}", "key 'inbound.users' must declare timeoutMs or bulkhead"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSections")
  @DisplayName("refuse a bad section, naming the key")
  void shouldRefuseBadSection(String section, String message) throws IOException {
    assertThatThrownBy(
            () -> ResiliencePolicies.parse(withInbound("{\"users\": " + section + "}"), "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageStartingWith("r.json: ")
        .hasMessageContaining(message);
  }

  @Test
  @DisplayName("refuse calls past the bulkhead and its queue at once, counting them")
  void shouldRefusePastTheBulkhead() {
    InboundPolicy policy =
        new InboundPolicy(
            Meters.none(),
            "users",
            inbound("{\"bulkhead\": {\"maxConcurrent\": 1, \"maxQueued\": 1}}"));
    List<Promise<Void>> served = new ArrayList<>();
    List<Future<Void>> calls = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      calls.add(
          policy.admit(
              () -> {
                Promise<Void> call = Promise.promise();
                served.add(call);
                return call.future();
              }));
    }

    assertThat(served).hasSize(1);
    assertThat(policy.queued()).isEqualTo(1);
    assertThat(calls.get(2).cause()).isInstanceOf(CallRejectedException.class);
    assertThat(policy.rejected()).isEqualTo(1);

    served.get(0).complete();
    assertThat(served).as("the queued call is served once a place is free").hasSize(2);
    served.get(1).complete();
    assertThat(policy.running()).isZero();
    assertThat(policy.queued()).isZero();
  }

  @Test
  @DisplayName("apply a reloaded section to new calls; a call keeps its place in the old bulkhead")
  void shouldApplyReloadToNewCalls() {
    InboundPolicy policy =
        new InboundPolicy(
            Meters.none(),
            "users",
            inbound("{\"bulkhead\": {\"maxConcurrent\": 1, \"maxQueued\": 0}}"));
    Promise<Void> old = Promise.promise();
    Future<Void> first = policy.admit(old::future);

    policy.update(
        inbound("{\"timeoutMs\": 250, \"bulkhead\": {\"maxConcurrent\": 2, \"maxQueued\": 0}}"));
    List<Promise<Void>> served = new ArrayList<>();
    List<Future<Void>> calls = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      calls.add(
          policy.admit(
              () -> {
                Promise<Void> call = Promise.promise();
                served.add(call);
                return call.future();
              }));
    }

    assertThat(policy.timeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(served).hasSize(2);
    assertThat(calls.get(2).cause()).isInstanceOf(CallRejectedException.class);
    old.complete();
    served.forEach(Promise::complete);
    assertThat(first.succeeded()).isTrue();
    assertThat(policy.running()).isZero();

    policy.update(null);
    assertThat(policy.timeout()).as("no section: no limit").isNull();
    assertThat(policy.admit(Future::succeededFuture).succeeded()).isTrue();
  }
}
