package io.courier.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** One HTTP/1.1 exchange written and read by hand, for tests that care about the connection. */
final class RawHttp {

  private RawHttp() {}

  /**
   * Writes {@code request} (line, headers and body as they go on the wire) and reads one response
   * with a {@code Content-Length} body: its status line, headers and body as text.
   */
  static String exchange(Socket socket, String request) throws IOException {
    socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    while (!read.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after " + read);
      }
      read.write(b);
    }
    String head = read.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    if (body.length < length) {
      throw new IOException("connection closed in the body after " + head);
    }
    return head + new String(body, StandardCharsets.UTF_8);
  }

  /** The body of a response {@link #exchange} read. */
  static String body(String response) {
    return response.substring(response.indexOf("\r\n\r\n") + 4);
  }
}
