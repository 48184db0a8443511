package io.courier.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.Message;
import io.vertx.core.buffer.Buffer;
import java.util.Arrays;
import java.util.List;

/**
 * Clustered event-bus frames from the network: whatever the bytes, {@link
 * ProtobufMessageCodec#decodeFromWire} gives a message or a {@link DecodingException} naming the
 * type, and a message it gives survives its own wire form unchanged.
 *
 * <p>Input: byte 0 picks the contract type, byte 1 the frame's position in the buffer, the rest is
 * the buffer. Seeds in {@code ProtobufCodecFuzzTestInputs/decodeFromWire} are the wire forms of
 * {@link SampleMessages#everyType()}, as the codec round-trip test sends them.
 */
class ProtobufCodecFuzzTest {

  private static final List<ProtobufMessageCodec<Message>> CODECS =
      ContractTypes.defaultInstances().stream().map(ProtobufMessageCodec::new).toList();

  @FuzzTest(maxDuration = "60s")
  void decodeFromWire(byte[] input) {
    if (input.length < 2) {
      return;
    }
    ProtobufMessageCodec<Message> codec = CODECS.get((input[0] & 0xff) % CODECS.size());
    Buffer buffer = Buffer.buffer(Arrays.copyOfRange(input, 2, input.length));
    int pos = (input[1] & 0xff) % (buffer.length() + 1);

    Message decoded;
    try {
      decoded = codec.decodeFromWire(pos, buffer);
    } catch (DecodingException e) {
      assertThat(e.typeName()).isEqualTo(codec.typeName());
      assertThat(e).hasMessageStartingWith("cannot decode " + codec.typeName() + ": ");
      return;
    }
    assertThat(decoded.getDescriptorForType().getFullName()).isEqualTo(codec.typeName());
    Buffer again = Buffer.buffer();
    codec.encodeToWire(again, decoded);
    assertThat(codec.decodeFromWire(0, again)).isEqualTo(decoded);
  }
}
