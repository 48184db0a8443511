package io.courier.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the loader accepts of the admin server's host and token. */
@DisplayName("The admin server's authentication settings")
class AdminAuthConfigTest {

  private static final String TOKEN = "0123456789abcdef0123456789abcdef";

  @TempDir Path dir;

  private static CourierConfig load(Map<String, String> env) {
    return new ConfigLoader(env, Map.of(), Map.of("gateway", List.of()), List.of("gateway"))
        .load(null);
  }

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("COURIER_KAFKA_EMBEDDED_ENABLED", "true");
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  @Test
  @DisplayName("refuses an admin host that is not loopback when no token file is set")
  void shouldRefuseNonLoopbackHostWithoutAuthentication() {
    assertThatThrownBy(() -> load(env("COURIER_ADMIN_HOST", "0.0.0.0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("key 'admin.host'")
        .hasMessageContaining("is '0.0.0.0', which is not loopback, and admin.tokenFile is empty")
        .hasMessageContaining("set admin.tokenFile");
  }

  @Test
  @DisplayName("refuses it in development too, not only with security.production")
  void shouldRefuseNonLoopbackHostOutsideProduction() {
    assertThatThrownBy(() -> load(env("COURIER_ADMIN_HOST", "10.1.2.3")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'10.1.2.3', which is not loopback");
  }

  @Test
  @DisplayName("accepts a host that is not loopback once a token file holds a long token")
  void shouldAcceptNonLoopbackHostWithToken() throws IOException {
    Path file = Files.writeString(dir.resolve("admin.token"), TOKEN + "\n");

    CourierConfig config =
        load(env("COURIER_ADMIN_HOST", "0.0.0.0", "COURIER_ADMIN_TOKEN_FILE", file.toString()));

    assertThat(config.admin().authenticated()).isTrue();
    assertThat(config.admin().tokenFile()).isEqualTo(file.toString());
  }

  @Test
  @DisplayName("keeps a loopback admin server open without a token, as before")
  void shouldKeepLoopbackOpen() {
    CourierConfig config = load(env());

    assertThat(config.admin().loopback()).isTrue();
    assertThat(config.admin().authenticated()).isFalse();
  }

  @Test
  @DisplayName("refuses a token file that is missing, or whose token is short or holds spaces")
  void shouldRefuseUnusableTokenFiles() throws IOException {
    Path shortToken = Files.writeString(dir.resolve("short.token"), "secret");
    Path spaced = Files.writeString(dir.resolve("spaced.token"), TOKEN + " " + TOKEN);

    assertThatThrownBy(
            () ->
                load(
                    env(
                        "COURIER_ADMIN_HOST",
                        "0.0.0.0",
                        "COURIER_ADMIN_TOKEN_FILE",
                        dir.resolve("absent").toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("key 'admin.tokenFile'")
        .hasMessageContaining("which is not a readable file");
    assertThatThrownBy(() -> load(env("COURIER_ADMIN_TOKEN_FILE", shortToken.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("whose token has 6 characters; a bearer token needs at least 32");
    assertThatThrownBy(() -> load(env("COURIER_ADMIN_TOKEN_FILE", spaced.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("holds whitespace");
  }
}
