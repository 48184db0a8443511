package io.courier.runtime.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.runtime.config.IdentityConfig;
import io.courier.runtime.config.InvalidConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The identity seal")
class IdentitySealTest {

  private static final byte[] KEY =
      "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private static final byte[] OTHER_KEY =
      "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8);
  private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

  @TempDir Path dir;

  private static IdentitySeal seal(byte[] key, Instant now) {
    return IdentitySeal.of(key, true, 60_000, Clock.fixed(now, ZoneOffset.UTC));
  }

  @Test
  @DisplayName("opens what it sealed: subject and scopes")
  void shouldOpenWhatItSealed() {
    IdentitySeal seal = seal(KEY, NOW);
    String sealed = seal.seal("u-0001", Set.of("orders:read", "orders:write"));

    assertThat(seal.open(sealed))
        .isEqualTo(new IdentitySeal.Opened("u-0001", Set.of("orders:read", "orders:write")));
    assertThat(seal.open(seal.seal("svc", Set.of())).scopes()).isEmpty();
    assertThat(seal(KEY, NOW.plusSeconds(59)).open(sealed).subject())
        .as("another process with the same key, within the time to live")
        .isEqualTo("u-0001");
  }

  @Test
  @DisplayName("refuses a changed subject or scope, another key's seal and an expired one")
  void shouldRefuseForgedOrExpiredSeals() {
    IdentitySeal seal = seal(KEY, NOW);
    String sealed = seal.seal("u-0001", Set.of("orders:read"));
    String[] parts = sealed.split("\\.");
    String admin =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("admin".getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(
            () -> seal.open(String.join(".", parts[0], parts[1], admin, parts[3], parts[4])))
        .isInstanceOf(IdentitySeal.Refused.class)
        .hasMessage("identity not sealed by the platform");
    String later = Long.toString(Long.parseLong(parts[3]) + 3_600_000);
    assertThatThrownBy(
            () -> seal.open(String.join(".", parts[0], parts[1], parts[2], later, parts[4])))
        .as("a longer life is a change too")
        .hasMessage("identity not sealed by the platform");
    assertThatThrownBy(() -> seal(OTHER_KEY, NOW).open(sealed))
        .hasMessage("identity not sealed by the platform");
    assertThatThrownBy(() -> seal(KEY, NOW.plusSeconds(61)).open(sealed))
        .hasMessage("identity expired");
  }

  @Test
  @DisplayName("refuses malformed input with one message, whatever its shape")
  void shouldRefuseMalformedSeals() {
    IdentitySeal seal = seal(KEY, NOW);
    String good = seal.seal("u-0001", Set.of());
    List<String> malformed =
        new ArrayList<>(
            List.of(
                "",
                "v1",
                "v1.a.b.c",
                "v1.a.b.c.d.e",
                "v2" + good.substring(2),
                good.substring(0, good.lastIndexOf('.') + 1) + "***",
                "x".repeat(5_000)));
    malformed.add(null);
    for (String input : malformed) {
      assertThatThrownBy(() -> seal.open(input))
          .as(String.valueOf(input).length() > 40 ? "a long one" : String.valueOf(input))
          .isInstanceOf(IdentitySeal.Refused.class)
          .hasMessageMatching("malformed identity|identity not sealed by the platform");
    }
  }

  @Test
  @DisplayName("without a key seals nothing and opens nothing")
  void shouldSealNothingWithoutAKey() {
    assertThat(IdentitySeal.none().enabled()).isFalse();
    assertThat(IdentitySeal.none().seal("u-0001", Set.of())).isNull();
    assertThatThrownBy(() -> IdentitySeal.none().open(seal(KEY, NOW).seal("u-0001", Set.of())))
        .isInstanceOf(IdentitySeal.Refused.class)
        .hasMessageContaining("holds no identity key");
    assertThatThrownBy(() -> IdentitySeal.of(new byte[31], false, 1_000, Clock.systemUTC()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @Timeout(60)
  @DisplayName("creates one development key that processes started together all read")
  void shouldShareOneDevelopmentKey() throws Exception {
    Path keys = dir.resolve("keys");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<byte[]>> loads = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        loads.add(() -> IdentitySeal.devKey(keys));
      }
      List<byte[]> read = new ArrayList<>();
      for (Future<byte[]> each : pool.invokeAll(loads)) {
        read.add(each.get(30, TimeUnit.SECONDS));
      }
      assertThat(read).allSatisfy(key -> assertThat(Arrays.equals(key, read.get(0))).isTrue());
      assertThat(read.get(0)).hasSize(32);
    } finally {
      pool.shutdownNow();
    }
    assertThat(Files.getPosixFilePermissions(keys.resolve("identity.key")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    try (var files = Files.list(keys)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("no temporary file left behind")
          .containsExactly("identity.key");
    }
    IdentitySeal a = IdentitySeal.load(new IdentityConfig(false, "", keys.toString(), 60_000));
    IdentitySeal b = IdentitySeal.load(new IdentityConfig(false, "", keys.toString(), 60_000));
    assertThat(b.open(a.seal("u-0001", Set.of())).subject()).isEqualTo("u-0001");
  }

  @Test
  @DisplayName(
      "takes a configured key, and refuses a short, non-base64 or doubled one naming the key")
  void shouldValidateTheConfiguredKey() {
    String key = Base64.getEncoder().encodeToString(KEY);
    IdentitySeal seal = IdentitySeal.load(new IdentityConfig(true, key, "", 60_000));
    assertThat(seal.required()).isTrue();
    assertThat(seal(KEY, Instant.now()).open(seal.seal("u-0001", Set.of())).subject())
        .isEqualTo("u-0001");

    assertThatThrownBy(
            () ->
                new IdentityConfig(
                    false, Base64.getEncoder().encodeToString(new byte[16]), "", 60_000))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("key")
        .hasMessageContaining("at least 32");
    assertThatThrownBy(() -> new IdentityConfig(false, "not base64 !", "", 60_000))
        .hasMessageContaining("is not base64");
    assertThatThrownBy(() -> new IdentityConfig(false, key, ".courier/keys", 60_000))
        .hasMessageContaining("set only one");
    assertThat(new IdentityConfig(false, key, "", 60_000).toString()).doesNotContain(key);
  }
}
