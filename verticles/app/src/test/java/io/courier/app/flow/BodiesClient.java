package io.courier.app.flow;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Forms, multipart bodies and plain requests for {@link OrderBodiesIT}, over Vert.x's client. */
final class BodiesClient {

  static final String FORM = "application/x-www-form-urlencoded";
  static final String BOUNDARY = "courier-test-boundary";
  static final String MULTIPART = "multipart/form-data; boundary=" + BOUNDARY;

  private BodiesClient() {}

  /** An answer, read whole. */
  record Answer(int status, String contentType, String location, Buffer body) {
    String text() {
      return body.toString(StandardCharsets.UTF_8);
    }

    JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** A part of a multipart body; a file part when it has a file name. */
  record Part(String name, String filename, String type, String value) {}

  static String multipartBody(Part... parts) {
    StringBuilder body = new StringBuilder();
    for (Part part : parts) {
      body.append("--")
          .append(BOUNDARY)
          .append("\r\n")
          .append("Content-Disposition: form-data; name=\"")
          .append(part.name())
          .append('"');
      if (part.filename() != null) {
        body.append("; filename=\"").append(part.filename()).append('"');
      }
      body.append("\r\n");
      if (part.type() != null) {
        body.append("Content-Type: ").append(part.type()).append("\r\n");
      }
      body.append("\r\n").append(part.value()).append("\r\n");
    }
    return body.append("--").append(BOUNDARY).append("--\r\n").toString();
  }

  /** {@code name, value, name, value, ...} as a URL-encoded form. */
  static String form(String... pairs) {
    StringBuilder form = new StringBuilder();
    for (int i = 0; i < pairs.length; i += 2) {
      form.append(i == 0 ? "" : "&")
          .append(URLEncoder.encode(pairs[i], StandardCharsets.UTF_8))
          .append('=')
          .append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
    }
    return form.toString();
  }

  static Answer send(HttpClient http, String url, String key, String type, String body)
      throws Exception {
    RequestOptions options =
        new RequestOptions()
            .setMethod(body == null ? HttpMethod.GET : HttpMethod.POST)
            .setAbsoluteURI(url);
    if (key != null) {
      options.putHeader("Idempotency-Key", key);
    }
    if (type != null) {
      options.putHeader("Content-Type", type);
    }
    return http.request(options)
        .compose(
            request ->
                (body == null ? request.send() : request.send(Buffer.buffer(body)))
                    .compose(
                        response ->
                            response
                                .body()
                                .map(
                                    read ->
                                        new Answer(
                                            response.statusCode(),
                                            response.getHeader("Content-Type"),
                                            response.getHeader("Location"),
                                            read))))
        .await(10, TimeUnit.SECONDS);
  }
}
