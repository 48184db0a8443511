package io.courier.codec;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Event-bus codec for one generated protobuf type. Local delivery hands the immutable message over
 * as it is; clustered delivery writes a length-prefixed protobuf encoding. The wire name is derived
 * from the protobuf full name ({@code proto:courier.v1.OrderPlaced}), never from the Java class, so
 * renaming or moving a class cannot break a running cluster.
 *
 * @param <T> the generated message type
 */
public final class ProtobufMessageCodec<T extends Message> implements MessageCodec<T, T> {

  /** Prefix of every Courier codec's wire name. */
  public static final String NAME_PREFIX = "proto:";

  private final String name;
  private final String typeName;
  private final Parser<T> parser;

  @SuppressWarnings("unchecked")
  public ProtobufMessageCodec(T defaultInstance) {
    this.typeName = defaultInstance.getDescriptorForType().getFullName();
    this.name = wireName(typeName);
    this.parser = (Parser<T>) defaultInstance.getParserForType();
  }

  /** The wire name of the codec for a protobuf type. */
  public static String wireName(String protobufFullName) {
    return NAME_PREFIX + protobufFullName;
  }

  @Override
  public void encodeToWire(Buffer buffer, T message) {
    byte[] bytes = message.toByteArray();
    buffer.appendInt(bytes.length).appendBytes(bytes);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int available = buffer.length() - pos - Integer.BYTES;
    if (available < 0) {
      throw new DecodingException(typeName, "frame shorter than its 4-byte length prefix", null);
    }
    int length = buffer.getInt(pos);
    if (length < 0 || length > available) {
      throw new DecodingException(
          typeName,
          "length prefix " + length + " does not fit the " + available + " bytes received",
          null);
    }
    byte[] bytes = buffer.getBytes(pos + Integer.BYTES, pos + Integer.BYTES + length);
    return parse(bytes);
  }

  /** Parses the protobuf encoding of this codec's type, failing with a named error. */
  public T parse(byte[] bytes) {
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new DecodingException(typeName, e.getMessage(), e);
    }
  }

  /** Protobuf messages are immutable: the same instance is safe to hand to a local consumer. */
  @Override
  public T transform(T message) {
    return message;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }

  /** Full protobuf name of the type this codec carries. */
  public String typeName() {
    return typeName;
  }
}
