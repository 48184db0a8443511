package io.courier.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Message;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.vertx.core.buffer.Buffer;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("The protobuf message codec")
class ProtobufMessageCodecTest {

  static Stream<Message> everyType() {
    return SampleMessages.everyType().stream();
  }

  @ParameterizedTest(name = "{index}: {0}")
  @MethodSource("everyType")
  @DisplayName("round-trips every contract type through its wire form")
  <T extends Message> void shouldRoundTripEveryTypeThroughWireForm(T sample) {
    ProtobufMessageCodec<T> codec = new ProtobufMessageCodec<>(sample);
    Buffer wire = Buffer.buffer().appendString("prefix");
    codec.encodeToWire(wire, sample);

    T decoded = codec.decodeFromWire("prefix".length(), wire);

    assertThat(decoded).isEqualTo(sample).isNotSameAs(sample);
    assertThat(sample.getAllFields()).isNotEmpty();
  }

  @Test
  @DisplayName("names each codec after the protobuf type, not the Java class")
  void shouldNameCodecAfterProtobufType() {
    assertThat(new ProtobufMessageCodec<>(OrderPlaced.getDefaultInstance()).name())
        .isEqualTo("proto:courier.v1.OrderPlaced");
  }

  @Test
  @DisplayName("hands the same immutable instance to local consumers")
  void shouldTransformToSameInstance() {
    Order order = Order.newBuilder().setId("o-1").build();
    assertThat(new ProtobufMessageCodec<>(order).transform(order)).isSameAs(order);
  }

  @Test
  @DisplayName("knows every top-level message of every contract file, with a unique wire name")
  void shouldKnowEveryMessageOfEveryContractFile() {
    Set<String> declared = new HashSet<>();
    for (FileDescriptor file : ContractTypes.files()) {
      for (Descriptor descriptor : file.getMessageTypes()) {
        declared.add(descriptor.getFullName());
      }
    }
    assertThat(ContractTypes.all().keySet()).containsExactlyInAnyOrderElementsOf(declared);
    assertThat(declared).hasSizeGreaterThan(25).contains("courier.v1.EventEnvelope");
  }

  @Test
  @DisplayName("fails with the type's name when the payload bytes are corrupt")
  void shouldFailWithTypeNameOnCorruptPayload() {
    ProtobufMessageCodec<Order> codec = new ProtobufMessageCodec<>(Order.getDefaultInstance());
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
    Buffer wire = Buffer.buffer().appendInt(garbage.length).appendBytes(garbage);

    assertThatThrownBy(() -> codec.decodeFromWire(0, wire))
        .isInstanceOf(DecodingException.class)
        .hasMessageStartingWith("cannot decode courier.v1.Order: ")
        .hasCauseInstanceOf(com.google.protobuf.InvalidProtocolBufferException.class);
  }

  @Test
  @DisplayName("fails when the length prefix promises more bytes than arrived")
  void shouldFailWhenLengthPrefixExceedsFrame() {
    ProtobufMessageCodec<Order> codec = new ProtobufMessageCodec<>(Order.getDefaultInstance());
    Buffer wire = Buffer.buffer().appendInt(1_000).appendBytes(new byte[] {8, 1});

    assertThatThrownBy(() -> codec.decodeFromWire(0, wire))
        .isInstanceOf(DecodingException.class)
        .hasMessage(
            "cannot decode courier.v1.Order: length prefix 1000 does not fit the 2 bytes received");
  }

  @Test
  @DisplayName("fails when the frame is shorter than its length prefix")
  void shouldFailOnTruncatedFrame() {
    ProtobufMessageCodec<Order> codec = new ProtobufMessageCodec<>(Order.getDefaultInstance());
    assertThatThrownBy(() -> codec.decodeFromWire(0, Buffer.buffer().appendByte((byte) 1)))
        .isInstanceOf(DecodingException.class)
        .hasMessageContaining("shorter than its 4-byte length prefix");
  }
}
