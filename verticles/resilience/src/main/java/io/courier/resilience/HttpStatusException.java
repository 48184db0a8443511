package io.courier.resilience;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;

/** An HTTP answer with a failure status, so the policy can classify (and maybe retry) it. */
public class HttpStatusException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient HttpResponse<Buffer> response;

  public HttpStatusException(HttpResponse<Buffer> response) {
    super("HTTP " + response.statusCode() + " " + response.statusMessage(), null, false, false);
    this.response = response;
  }

  public int status() {
    return response.statusCode();
  }

  /** The response, for callers that want its body after the policy gave up. */
  public HttpResponse<Buffer> response() {
    return response;
  }
}
