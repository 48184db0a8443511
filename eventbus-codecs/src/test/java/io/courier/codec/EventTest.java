package io.courier.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Timestamp;
import io.courier.contract.v1.EventEnvelope;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("An event")
class EventTest {

  private static final OrderPlaced PLACED =
      OrderPlaced.newBuilder().setOrder(Order.newBuilder().setId("o-1")).build();

  @Test
  @DisplayName("gets a fresh version-4 UUID, the payload's type and schema version")
  void shouldFillEnvelopeAttributes() {
    Event<OrderPlaced> event = Event.of("/test", "o-1", PLACED);

    UUID id = UUID.fromString(event.id());
    assertThat(id.version()).isEqualTo(4);
    assertThat(id.variant()).isEqualTo(2);
    assertThat(event.type()).isEqualTo("courier.v1.OrderPlaced");
    assertThat(event.schemaVersion()).isEqualTo(1);
  }

  @Test
  @DisplayName("never repeats an id over a hundred thousand events")
  void shouldNotRepeatIds() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      ids.add(Event.of("/test", "o-1", PLACED).id());
    }
    assertThat(ids).hasSize(100_000);
  }

  @Test
  @DisplayName("round-trips through its protobuf envelope")
  void shouldRoundTripThroughEnvelope() {
    Event<OrderPlaced> event = Event.of("/test", "o-1", PLACED).withTrace("00-abc-def-01", "");

    assertThat(Event.fromEnvelope(event.toEnvelope())).isEqualTo(event);
  }

  @Test
  @DisplayName("refuses a type that does not match its payload, and a blank subject")
  void shouldRefuseInconsistentEvents() {
    assertThatThrownBy(
            () ->
                new Event<>(
                    "id",
                    "courier.v1.Order",
                    "/s",
                    java.time.Instant.now(),
                    "k",
                    1,
                    "",
                    "",
                    PLACED))
        .hasMessage("type courier.v1.Order does not match payload courier.v1.OrderPlaced");
    assertThatThrownBy(() -> Event.of("/s", " ", PLACED)).hasMessage("subject must not be blank");
  }

  @Test
  @DisplayName(
      "reads an envelope without schema version, time, id or type as a DecodingException naming"
          + " the defect (found by EnvelopeFuzzTest)")
  void shouldRefuseIncompleteEnvelopesWithDecodingException() {
    EventEnvelope valid = Event.of("/test", "o-1", PLACED).toEnvelope();

    assertThatThrownBy(() -> Event.fromEnvelope(valid.toBuilder().clearSchemaVersion().build()))
        .isInstanceOf(DecodingException.class)
        .hasMessage(
            "cannot decode courier.v1.OrderPlaced: envelope schemaVersion must be >= 1, was 0");
    assertThatThrownBy(() -> Event.fromEnvelope(valid.toBuilder().clearTime().build()))
        .isInstanceOf(DecodingException.class)
        .hasMessage("cannot decode courier.v1.OrderPlaced: envelope has no time");
    assertThatThrownBy(
            () ->
                Event.fromEnvelope(
                    valid.toBuilder()
                        .setTime(Timestamp.newBuilder().setSeconds(Long.MAX_VALUE))
                        .build()))
        .isInstanceOf(DecodingException.class)
        .hasMessageContaining("is no valid Timestamp");
    assertThatThrownBy(() -> Event.fromEnvelope(valid.toBuilder().clearId().build()))
        .isInstanceOf(DecodingException.class)
        .hasMessage("cannot decode courier.v1.OrderPlaced: envelope id must not be blank");
    assertThatThrownBy(() -> Event.fromEnvelope(valid.toBuilder().clearType().build()))
        .isInstanceOf(DecodingException.class)
        .hasMessage("cannot decode courier.v1.EventEnvelope: envelope has no type");
  }
}
