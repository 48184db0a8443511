package io.courier.runtime.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("URL redaction in spans")
class UrlRedactionTest {

  @Test
  @DisplayName("drops user info, query values and fragments, and leaves plain URLs alone")
  void shouldRedactCredentials() {
    assertThat(UrlRedaction.url("https://u:pw@hooks.example/p/q?token=s3cret&x=1#frag"))
        .isEqualTo("https://hooks.example/p/q?token=REDACTED&x=REDACTED");
    assertThat(UrlRedaction.url("http://127.0.0.1:8080/api/v1/orders/o-1"))
        .isEqualTo("http://127.0.0.1:8080/api/v1/orders/o-1");
    assertThat(UrlRedaction.url("http://host/a@b")).isEqualTo("http://host/a@b");
    assertThat(UrlRedaction.query("flag&key=v")).isEqualTo("flag&key=REDACTED");
  }
}
