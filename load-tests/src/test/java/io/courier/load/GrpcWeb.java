package io.courier.load;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * gRPC-Web ({@code application/grpc-web+proto}) for simulations that call the gateway's gRPC API
 * over Gatling's HTTP: each message is a frame of a flag byte, a 4-byte big-endian length and the
 * protobuf bytes; the answer's trailers ({@code grpc-status}) come as a last frame with flag 0x80.
 *
 * <p>The few messages the simulations send and read ({@code courier.v1} PlaceOrderRequest,
 * PlaceOrderResponse, GetOrderRequest, GetOrderResponse in {@code order.proto}) are written and
 * read here in protobuf's wire format, by field number, so the simulations need nothing but Gatling
 * on their class path ({@code mvn -pl load-tests gatling:test} works without the project
 * installed). Field numbers of a published contract never change, so this cannot drift from the
 * contract.
 */
final class GrpcWeb {

  static final String CONTENT_TYPE = "application/grpc-web+proto";

  private static final int LENGTH_DELIMITED = 2;
  private static final int VARINT = 0;

  private GrpcWeb() {}

  /** PlaceOrderRequest {user_id = 1, items = 2 (LineItem {sku = 1, quantity = 2}), key = 3}. */
  static byte[] placeOrder(String userId, String sku, int quantity, String idempotencyKey) {
    byte[] item = new Writer().string(1, sku).varint(2, quantity).bytes();
    return frame(new Writer().string(1, userId).message(2, item).string(3, idempotencyKey).bytes());
  }

  /** GetOrderRequest {order_id = 1}. */
  static byte[] getOrder(String orderId) {
    return frame(new Writer().string(1, orderId).bytes());
  }

  /** PlaceOrderResponse's order_id (field 1). */
  static String placedOrderId(byte[] body) {
    return stringField(data(body), 1);
  }

  /** GetOrderResponse's order (field 1), its id (field 1). */
  static String gotOrderId(byte[] body) {
    return stringField(bytesField(data(body), 1), 1);
  }

  /** The {@code grpc-status} of the trailers frame, or -1 when the body has none. */
  static int status(byte[] body) {
    ByteBuffer buffer = ByteBuffer.wrap(body);
    while (buffer.remaining() >= 5) {
      byte flags = buffer.get();
      byte[] payload = new byte[buffer.getInt()];
      buffer.get(payload);
      if ((flags & 0x80) != 0) {
        for (String line : new String(payload, StandardCharsets.US_ASCII).split("\r\n")) {
          int colon = line.indexOf(':');
          if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("grpc-status")) {
            return Integer.parseInt(line.substring(colon + 1).trim());
          }
        }
      }
    }
    return -1;
  }

  private static byte[] frame(byte[] message) {
    return ByteBuffer.allocate(5 + message.length)
        .put((byte) 0)
        .putInt(message.length)
        .put(message)
        .array();
  }

  /** The message of the first data frame; fails (and so fails the check) when there is none. */
  private static byte[] data(byte[] body) {
    ByteBuffer buffer = ByteBuffer.wrap(body);
    while (buffer.remaining() >= 5) {
      byte flags = buffer.get();
      byte[] payload = new byte[buffer.getInt()];
      buffer.get(payload);
      if ((flags & 0x80) == 0) {
        return payload;
      }
    }
    throw new IllegalArgumentException("no data frame in the gRPC-Web body");
  }

  private static String stringField(byte[] message, int field) {
    return new String(bytesField(message, field), StandardCharsets.UTF_8);
  }

  /** The first length-delimited field {@code field} of {@code message}, skipping the others. */
  private static byte[] bytesField(byte[] message, int field) {
    ByteBuffer buffer = ByteBuffer.wrap(message);
    while (buffer.hasRemaining()) {
      long tag = readVarint(buffer);
      int type = (int) (tag & 7);
      switch (type) {
        case VARINT -> readVarint(buffer);
        case 1 -> buffer.position(buffer.position() + 8);
        case 5 -> buffer.position(buffer.position() + 4);
        case LENGTH_DELIMITED -> {
          byte[] value = new byte[(int) readVarint(buffer)];
          buffer.get(value);
          if (tag >>> 3 == field) {
            return value;
          }
        }
        default -> throw new IllegalArgumentException("unsupported wire type " + type);
      }
    }
    throw new IllegalArgumentException("no field " + field + " in the message");
  }

  private static long readVarint(ByteBuffer buffer) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = buffer.get();
      value |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        return value;
      }
    }
    throw new IllegalArgumentException("malformed varint");
  }

  /** Writes fields in protobuf's wire format. */
  private static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Writer string(int field, String value) {
      return message(field, value.getBytes(StandardCharsets.UTF_8));
    }

    Writer message(int field, byte[] value) {
      writeVarint((field << 3) | LENGTH_DELIMITED);
      writeVarint(value.length);
      out.writeBytes(value);
      return this;
    }

    Writer varint(int field, long value) {
      writeVarint((field << 3) | VARINT);
      writeVarint(value);
      return this;
    }

    byte[] bytes() {
      return out.toByteArray();
    }

    private void writeVarint(long value) {
      while ((value & ~0x7fL) != 0) {
        out.write((int) ((value & 0x7f) | 0x80));
        value >>>= 7;
      }
      out.write((int) value);
    }
  }
}
