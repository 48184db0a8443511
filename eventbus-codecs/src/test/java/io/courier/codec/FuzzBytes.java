package io.courier.codec;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Reads typed values off a fuzzer's raw bytes, and writes them for seed files: a fuzz test whose
 * input is {@code byte[]} keeps seeds that {@link Writer} builds from real values, and every byte
 * string the fuzzer makes still reads as something (a missing byte reads as 0, a length past the
 * end as what is left).
 */
public final class FuzzBytes {

  private final byte[] data;
  private int next;

  public FuzzBytes(byte[] data) {
    this.data = data;
  }

  /** One unsigned byte. */
  public int u8() {
    return next < data.length ? data[next++] & 0xff : 0;
  }

  /** Eight bytes, big-endian. */
  public long i64() {
    long value = 0;
    for (int i = 0; i < Long.BYTES; i++) {
      value = (value << 8) | u8();
    }
    return value;
  }

  /** A byte string of up to 65,535 bytes, prefixed with its length in two bytes. */
  public byte[] bytes() {
    int length = (u8() << 8) | u8();
    int end = Math.min(data.length, next + length);
    byte[] value = Arrays.copyOfRange(data, Math.min(next, end), end);
    next = end;
    return value;
  }

  /** A byte string read as UTF-8 (malformed sequences read as U+FFFD, as Kafka's headers do). */
  public String text() {
    return new String(bytes(), UTF_8);
  }

  /** Everything not read yet. */
  public byte[] rest() {
    byte[] value = Arrays.copyOfRange(data, Math.min(next, data.length), data.length);
    next = data.length;
    return value;
  }

  /** Builds an input that {@link FuzzBytes} reads back value by value. */
  public static final class Writer {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public Writer u8(int value) {
      out.write(value);
      return this;
    }

    public Writer i64(long value) {
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) (value >>> shift));
      }
      return this;
    }

    public Writer bytes(byte[] value) {
      out.write(value.length >>> 8);
      out.write(value.length);
      out.writeBytes(value);
      return this;
    }

    public Writer text(String value) {
      return bytes(value.getBytes(UTF_8));
    }

    public Writer rest(byte[] value) {
      out.writeBytes(value);
      return this;
    }

    public byte[] toByteArray() {
      return out.toByteArray();
    }
  }
}
