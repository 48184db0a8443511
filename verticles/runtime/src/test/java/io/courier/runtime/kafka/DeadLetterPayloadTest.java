package io.courier.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventSerializer;
import io.courier.contract.v1.Notification;
import io.courier.contract.v1.NotificationSent;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** How a parked record's payload is shown: an event's data as JSON, anything else undecoded. */
@DisplayName("A dead letter's payload")
class DeadLetterPayloadTest {

  private static ConsumerRecord<String, byte[]> parked(RecordHeaders headers, byte[] value) {
    headers.add(
        DeliveryHeaders.ERROR_CLASS,
        "java.lang.IllegalStateException".getBytes(StandardCharsets.UTF_8));
    return new ConsumerRecord<>(
        "courier.notifications.dlt",
        0,
        7,
        1L,
        TimestampType.CREATE_TIME,
        0,
        value == null ? 0 : value.length,
        "k",
        value,
        headers,
        Optional.empty());
  }

  @Test
  @DisplayName("shows a Courier event's data in protobuf's JSON mapping")
  void shouldShowAnEventsDataAsJson() {
    NotificationSent sent =
        NotificationSent.newBuilder()
            .setNotification(
                Notification.newBuilder().setId("n-1").setOrderId("o-1").setMessage("paid"))
            .build();
    RecordHeaders headers = new RecordHeaders();
    byte[] value =
        new EventSerializer()
            .serialize("courier.notifications", headers, Event.of("test", "o-1", sent));

    JsonObject payload = new JsonObject(DeadLetters.payloadJson(parked(headers, value)));

    assertThat(payload.getJsonObject("notification").getString("orderId")).isEqualTo("o-1");
    assertThat(payload.getJsonObject("notification").getString("message")).isEqualTo("paid");
  }

  @Test
  @DisplayName("shows anything else as base64 with the reason it could not be decoded")
  void shouldShowUndecodableBytesAsBase64() {
    byte[] value = {(byte) 0xff, 0x13, 0x37};

    JsonObject payload =
        new JsonObject(DeadLetters.payloadJson(parked(new RecordHeaders(), value)));

    assertThat(payload.getString("undecoded")).contains("ce_type");
    assertThat(Base64.getDecoder().decode(payload.getString("base64"))).isEqualTo(value);
    assertThat(DeadLetters.payloadJson(parked(new RecordHeaders(), null))).isEqualTo("null");
  }
}
