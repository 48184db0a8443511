package io.courier.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.Message;
import io.courier.contract.v1.EventEnvelope;

/**
 * Self-describing envelopes, as the Kafka bridge receives them over the event bus: whatever the
 * bytes, decoding them with the envelope's codec and reading the event back with {@link
 * Event#fromEnvelope} gives an event or a {@link DecodingException}, and an event it gives survives
 * its own envelope unchanged.
 *
 * <p>Seeds in {@code EnvelopeFuzzTestInputs/fromEnvelope} are the envelopes of an event of every
 * contract type ({@link SampleMessages#everyType()}), traced and untraced.
 */
class EnvelopeFuzzTest {

  private static final ProtobufMessageCodec<EventEnvelope> CODEC =
      new ProtobufMessageCodec<>(EventEnvelope.getDefaultInstance());

  @FuzzTest(maxDuration = "60s")
  void fromEnvelope(byte[] input) {
    Event<Message> event;
    try {
      event = Event.fromEnvelope(CODEC.parse(input));
    } catch (DecodingException e) {
      assertThat(e.getMessage()).startsWith("cannot decode ");
      return;
    }
    assertThat(Event.fromEnvelope(event.toEnvelope())).isEqualTo(event);
  }
}
