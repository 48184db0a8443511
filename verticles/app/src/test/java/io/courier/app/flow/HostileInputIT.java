package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile HTTP/1.1 input against the gateway, over raw sockets: each is refused (status or closed
 * connection) within its limit, and after each one the gateway still answers a plain request.
 */
@ExtendWith(SharedKafkaBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The gateway under hostile input")
class HostileInputIT {

  private static final long HEADER_TIMEOUT_MS = 1_500;

  @TempDir static Path work;

  private CourierRuntime runtime;
  private int port;

  @BeforeAll
  void start(EmbeddedKafkaBroker kafka) throws Exception {
    runtime =
        OrderFlowIT.startGatewayOnly(
            kafka,
            work,
            Map.of(
                "courier.gateway.headerTimeoutMs", Long.toString(HEADER_TIMEOUT_MS),
                "courier.gateway.idleTimeoutMs", "3000",
                "courier.gateway.requestTimeoutMs", "1000"));
    port = URI.create(runtime.endpoints().get("gateway")).getPort();
  }

  @AfterAll
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @AfterEach
  void stillServing() throws Exception {
    assertThat(exchange("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 200");
  }

  @Test
  @Timeout(20)
  @DisplayName("a header over maxHeaderBytes gets 431")
  void oversizedHeader() throws Exception {
    assertThat(request("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(10_000)))
        .startsWith("HTTP/1.1 431");
  }

  @Test
  @Timeout(20)
  @DisplayName("a flood of 2,000 small headers gets 431")
  void headerFlood() throws Exception {
    StringBuilder headers = new StringBuilder("GET /health/live HTTP/1.1\r\nHost: x");
    for (int i = 0; i < 2_000; i++) {
      headers.append("\r\nX-H").append(i).append(": v");
    }
    assertThat(request(headers.toString())).startsWith("HTTP/1.1 431");
  }

  @Test
  @Timeout(20)
  @DisplayName("a request line over maxUriLength gets 414")
  void longUri() throws Exception {
    assertThat(request("GET /api/v1/orders/" + "x".repeat(5_000) + " HTTP/1.1\r\nHost: x"))
        .matches("(?s)HTTP/1\\.[01] 414.*");
  }

  @Test
  @Timeout(20)
  @DisplayName("headers dripped a byte at a time (slow-loris) lose the connection at the deadline")
  void slowHeaders() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(200);
      OutputStream out = socket.getOutputStream();
      out.write("GET /health/live HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
      long start = System.nanoTime();
      boolean closed = false;
      for (int i = 0; i < 40 && !closed; i++) {
        try {
          out.write('X');
          out.flush();
          closed = socket.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
          // still open: drip on
        } catch (IOException e) {
          closed = true;
        }
      }
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(closed).as("closed by the server").isTrue();
      assertThat(tookMs).isBetween(HEADER_TIMEOUT_MS - 300, HEADER_TIMEOUT_MS + 3_000);
    }
  }

  @Test
  @Timeout(20)
  @DisplayName("a connection that never sends a request is closed at the header deadline")
  void silentConnection() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout((int) HEADER_TIMEOUT_MS + 3_000);
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  @Timeout(20)
  @DisplayName(
      "a kept-alive connection silent after a placement is closed at the header deadline, not at"
          + " the idle timeout")
  void silentAfterPlacement() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      // Admission and the problem answer add end handlers of their own to the routing context;
      // the deadline's re-arming must survive them.
      socket
          .getOutputStream()
          .write(
              ("POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      + "Idempotency-Key: keep-1\r\nContent-Length: 2\r\n\r\n{}")
                  .getBytes(StandardCharsets.US_ASCII));
      // Under the idle timeout (3 s): only the header deadline (1.5 s) closes it by then.
      socket.setSoTimeout((int) HEADER_TIMEOUT_MS + 1_200);
      byte[] answer = socket.getInputStream().readNBytes(12);
      assertThat(new String(answer, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 400");
      InputStream in = socket.getInputStream();
      while (in.read() != -1) {
        // the rest of the answer, then the close
      }
    }
  }

  @Test
  @Timeout(20)
  @DisplayName("a body that stalls half-way is answered 503 at the request timeout")
  void slowBody() throws Exception {
    String answer =
        exchange(
            "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Idempotency-Key: slow-1\r\nContent-Length: 100\r\n\r\n{\"userId\":");
    assertThat(answer).startsWith("HTTP/1.1 503");
  }

  @Test
  @Timeout(20)
  @DisplayName("a declared 10 MB body gets 413 without being read")
  void declaredHugeBody() throws Exception {
    assertThat(
            request(
                "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Idempotency-Key: huge-1\r\nContent-Length: 10485760"))
        .startsWith("HTTP/1.1 413");
  }

  @Test
  @Timeout(20)
  @DisplayName(
      "Content-Length with Transfer-Encoding (CL.TE smuggling): the hidden request is never read")
  void smugglingClTe() throws Exception {
    String answer =
        exchange(
            "POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 4").doesNotContain("/smuggled");
    assertThat(answer.split("HTTP/1.1 ", -1)).as("one answer only").hasSize(2);
  }

  @Test
  @Timeout(20)
  @DisplayName("two different Content-Length headers get 400")
  void conflictingLengths() throws Exception {
    assertThat(
            request(
                "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    + "Content-Length: 50\r\n\r\nhello"))
        .startsWith("HTTP/1.1 400");
  }

  @Test
  @Timeout(20)
  @DisplayName("a malformed chunk size is refused")
  void badChunk() throws Exception {
    assertThat(
            exchange(
                "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Idempotency-Key: chunk-1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"))
        .matches("(?s)(HTTP/1.1 4\\d\\d.*|)");
  }

  @Test
  @Timeout(20)
  @DisplayName("a header name with a control character gets 400")
  void controlCharacterInHeader() throws Exception {
    assertThat(request("GET /health/live HTTP/1.1\r\nHost: x\r\nX-A\u0001b: v"))
        .startsWith("HTTP/1.1 400");
  }

  @Test
  @Timeout(20)
  @DisplayName("a garbage request line gets 400")
  void garbageRequestLine() throws Exception {
    assertThat(exchange("\u0016\u0003\u0001 garbage\r\n\r\n")).matches("(?s)HTTP/1\\.[01] 400.*");
  }

  @Test
  @Timeout(20)
  @DisplayName("an unknown method gets 405 with a problem body")
  void unknownMethod() throws Exception {
    assertThat(request("FROBNICATE /api/v1/orders HTTP/1.1\r\nHost: x"))
        .startsWith("HTTP/1.1 405")
        .contains("application/problem+json");
  }

  @Test
  @Timeout(20)
  @DisplayName("JSON nested 5,000 deep gets 400 with a problem body")
  void deepJson() throws Exception {
    String body = "[".repeat(5_000) + "]".repeat(5_000);
    assertThat(post(body)).startsWith("HTTP/1.1 400").contains("application/problem+json");
  }

  @Test
  @Timeout(20)
  @DisplayName("an items array of 200 lines (the contract allows 100) gets 400 naming the field")
  void longArray() throws Exception {
    StringBuilder items = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      items.append(i == 0 ? "" : ",").append("{\"sku\":\"s\",\"quantity\":1}");
    }
    assertThat(post("{\"userId\":\"u1\",\"items\":[" + items + "]}"))
        .startsWith("HTTP/1.1 400")
        .contains("\"field\":\"items\"");
  }

  @Test
  @Timeout(20)
  @DisplayName("a quantity of 1e999999 gets 400")
  void hugeNumber() throws Exception {
    assertThat(post("{\"userId\":\"u1\",\"items\":[{\"sku\":\"s\",\"quantity\":1e999999}]}"))
        .startsWith("HTTP/1.1 400");
  }

  @Test
  @Timeout(20)
  @DisplayName("a negative Content-Length gets 400")
  void negativeLength() throws Exception {
    assertThat(request("POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: -5"))
        .startsWith("HTTP/1.1 400");
  }

  private String post(String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return exchange(
        "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Idempotency-Key: hostile-"
            + UUID.randomUUID()
            + "\r\nConnection: close\r\nContent-Length: "
            + bytes.length
            + "\r\n\r\n"
            + body);
  }

  /** Sends a request line and headers (no body), closing after the answer. */
  private String request(String head) throws IOException {
    return exchange(head + "\r\nConnection: close\r\n\r\n");
  }

  /** Writes raw bytes and reads until the server closes or stays silent for 4 s. */
  private String exchange(String raw) throws IOException {
    return RawHttp.exchange(port, raw);
  }
}
