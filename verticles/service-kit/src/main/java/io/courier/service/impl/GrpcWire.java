package io.courier.service.impl;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * gRPC's own encodings on HTTP/2 that a server writes by hand: trailers-only answers, {@code
 * grpc-message} percent-encoding, {@code grpc-timeout} values and {@code grpc-status} names.
 */
public final class GrpcWire {

  private GrpcWire() {}

  /** A trailers-only answer: HTTP 200 with grpc-status in the headers. */
  public static void answer(HttpServerRequest request, GrpcStatus status, String message) {
    request
        .response()
        .putHeader("content-type", answerContentType(request))
        .putHeader("grpc-status", Integer.toString(status.code))
        .putHeader("grpc-message", percentEncoded(message))
        .end();
  }

  /**
   * The content type of an answer the server writes itself: the caller's own gRPC type (so a
   * gRPC-Web client, {@code application/grpc-web+proto}, reads the trailers-only answer as
   * gRPC-Web), plain {@code application/grpc} otherwise.
   */
  static String answerContentType(HttpServerRequest request) {
    String contentType = request.getHeader("content-type");
    return contentType != null && contentType.startsWith("application/grpc")
        ? contentType
        : "application/grpc";
  }

  /**
   * A {@code grpc-message} value as the gRPC protocol encodes it: printable ASCII but {@code %} as
   * is, every other UTF-8 byte as {@code %XX}.
   */
  public static String percentEncoded(String message) {
    StringBuilder encoded = new StringBuilder(message.length());
    for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
      if (b >= 0x20 && b <= 0x7e && b != '%') {
        encoded.append((char) b);
      } else {
        encoded.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return encoded.toString();
  }

  /** A {@code grpc-timeout} value in nanoseconds; {@link Long#MAX_VALUE} when absent or invalid. */
  public static long grpcTimeoutNanos(String header) {
    if (header == null || header.length() < 2 || header.length() > 9) {
      return Long.MAX_VALUE;
    }
    long amount;
    try {
      amount = Long.parseLong(header.substring(0, header.length() - 1));
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
    if (amount < 0) {
      return Long.MAX_VALUE;
    }
    TimeUnit unit =
        switch (header.charAt(header.length() - 1)) {
          case 'H' -> TimeUnit.HOURS;
          case 'M' -> TimeUnit.MINUTES;
          case 'S' -> TimeUnit.SECONDS;
          case 'm' -> TimeUnit.MILLISECONDS;
          case 'u' -> TimeUnit.MICROSECONDS;
          case 'n' -> TimeUnit.NANOSECONDS;
          default -> null;
        };
    return unit == null ? Long.MAX_VALUE : unit.toNanos(amount);
  }

  /**
   * A {@code grpc-timeout} value (at most eight digits) for {@code nanos}, rounded up to the
   * millisecond, which is what the server's deadline timer counts in.
   */
  public static String grpcTimeout(long nanos) {
    long millis = Math.max(1, (nanos + 999_999) / 1_000_000);
    if (millis < 100_000_000L) {
      return millis + "m";
    }
    return Math.min(99_999_999L, (millis + 999) / 1000) + "S";
  }

  /** The name of a {@code grpc-status} value: OK, UNAVAILABLE..., none or invalid. */
  public static String grpcStatusName(String code) {
    if (code == null) {
      return "none";
    }
    try {
      return GrpcStatus.valueOf(Integer.parseInt(code)).name();
    } catch (RuntimeException e) {
      return "invalid";
    }
  }
}
