package io.courier.kafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The embedded Kafka broker's builder")
class EmbeddedKafkaBrokerBuilderTest {

  private static final String THREE = "1@127.0.0.1:19093,2@127.0.0.1:19094,3@127.0.0.1:19095";

  @Test
  @DisplayName("makes node 1 by default")
  void shouldMakeNodeOneByDefault() {
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build();
    assertThat(broker.nodeId()).isEqualTo(1);
    broker.close();
  }

  @Test
  @DisplayName("accepts a node that the voters name on 127.0.0.1, with or without its port again")
  void shouldAcceptNodeNamedByVoters() {
    assertThatCode(() -> EmbeddedKafkaBroker.builder().nodeId(2).voters(THREE).build().close())
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                EmbeddedKafkaBroker.builder()
                    .nodeId(3)
                    .voters(THREE)
                    .controllerPort(19095)
                    .clusterId(Uuid.randomUuid().toString())
                    .build()
                    .close())
        .doesNotThrowAnyException();
  }

  @Test
  @DisplayName("refuses voters that leave this node out")
  void shouldRefuseVotersWithoutThisNode() {
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().nodeId(4).voters(THREE).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("voters must include this node (id 4)");
  }

  @Test
  @DisplayName("refuses voters that put this node on another address than 127.0.0.1")
  void shouldRefuseVotersPlacingThisNodeElsewhere() {
    assertThatThrownBy(
            () -> EmbeddedKafkaBroker.builder().voters("1@10.0.0.1:9093,2@127.0.0.1:9094").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("on 127.0.0.1");
  }

  @Test
  @DisplayName("refuses a controller port that differs from this node's entry in the voters")
  void shouldRefuseControllerPortOtherThanVoters() {
    assertThatThrownBy(
            () ->
                EmbeddedKafkaBroker.builder().nodeId(1).voters(THREE).controllerPort(20000).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("controllerPort 20000 differs");
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(
      strings = {
        "",
        "1@127.0.0.1",
        "one@127.0.0.1:9093",
        "1@127.0.0.1:0",
        "1@127.0.0.1:70000",
        "1@127.0.0.1:9093,,2@127.0.0.1:9094",
        "1@127.0.0.1:9093;2@127.0.0.1:9094"
      })
  @DisplayName("refuses voters that are not id@host:port, comma-separated")
  void shouldRefuseMalformedVoters(String voters) {
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().voters(voters))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("voters");
  }

  @Test
  @DisplayName("refuses voters that name a node twice")
  void shouldRefuseDuplicateVoters() {
    assertThatThrownBy(
            () -> EmbeddedKafkaBroker.builder().voters("1@127.0.0.1:9093,1@127.0.0.1:9094"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("voters name node 1 twice");
  }

  @Test
  @DisplayName("refuses a negative node id")
  void shouldRefuseNegativeNodeId() {
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().nodeId(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nodeId must be 0 or more");
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "my-cluster", "00000000-0000-0000-0000-000000000000"})
  @DisplayName("refuses a cluster id that is not a Kafka cluster id")
  void shouldRefuseMalformedClusterId(String clusterId) {
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().clusterId(clusterId))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("clusterId must be a Kafka cluster id");
  }
}
