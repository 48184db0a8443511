package io.courier.app.flow;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** HTTP/1.1 as bytes on a socket, for requests no well-behaved client would send. */
final class RawHttp {

  private RawHttp() {}

  /** Writes {@code raw} to 127.0.0.1:{@code port} and reads until it closes or is silent 4 s. */
  static String exchange(int port, String raw) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(4_000);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      } catch (IOException e) {
        // The server may close before taking everything; what it answered is still readable.
      }
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try {
        int n;
        while ((n = in.read(buffer)) != -1) {
          answer.write(buffer, 0, n);
        }
      } catch (SocketTimeoutException | java.net.SocketException e) {
        // silence or reset: keep what arrived
      }
      return answer.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
