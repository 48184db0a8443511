package io.courier.codec.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Reading ce_time")
class EventTimeTest {

  @Test
  @DisplayName(
      "reads what the serializer writes exactly as Instant.parse does, for 100,000 instants")
  void shouldAgreeWithInstantParse() {
    Random random = new Random(42);
    for (int i = 0; i < 100_000; i++) {
      Instant instant =
          Instant.ofEpochSecond(
              random.nextLong() % 8_000_000_000L, // years 1716..2223
              switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1000;
                default -> random.nextInt(1_000_000_000);
              });
      String text = DateTimeFormatter.ISO_INSTANT.format(instant);
      assertThat(EventTime.parse(text)).as(text).isEqualTo(Instant.parse(text)).isEqualTo(instant);
    }
  }

  @Test
  @DisplayName(
      "handles every fraction length, leap days and the forms it hands to Instant.parse (offsets,"
          + " leap seconds, 24:00, an empty fraction), with Instant.parse's answers")
  void shouldHandleEdgeCases() {
    for (String text :
        new String[] {
          "2026-11-30T00:10:00Z",
          "2026-11-30T00:10:00.2Z",
          "2026-11-30T00:10:00.209991752Z",
          "2024-02-29T23:59:59.999Z",
          "1970-01-01T00:00:00Z",
          "2026-11-30T01:10:00+01:00",
          "2016-12-31T23:59:60Z",
          "2026-11-30T24:00:00Z",
          "2026-11-30T00:00:00.Z"
        }) {
      assertThat(EventTime.parse(text)).as(text).isEqualTo(Instant.parse(text));
    }
  }

  @Test
  @DisplayName("refuses what is no RFC 3339 instant")
  void shouldRefuseInvalidTimes() {
    for (String text :
        new String[] {
          "2026-02-30T00:00:00Z",
          "2025-02-29T00:00:00Z",
          "2026-13-01T00:00:00Z",
          "2026-11-30T00:60:00Z",
          "2026-11-30T00:00:00.1234567890Z",
          "2026-11-3xT00:00:00Z",
          "yesterday",
          ""
        }) {
      assertThatThrownBy(() -> EventTime.parse(text))
          .as(text)
          .isInstanceOf(DateTimeParseException.class);
    }
  }
}
