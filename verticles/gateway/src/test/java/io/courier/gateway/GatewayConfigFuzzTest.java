package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.courier.runtime.Roles;
import io.courier.runtime.config.ConfigException;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.CourierConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;

/**
 * Configuration files read with the sections of the roles on this module's classpath (the
 * gateway's, the resilience role's, the Kafka bridge's) besides the runtime's: whatever the bytes,
 * a configuration or a {@link ConfigException} whose every problem names the key at fault (or, for
 * a file that is no JSON object, the file), never another exception, whichever record's constructor
 * or check refuses a value. The runtime's {@code ConfigLoaderFuzzTest} fuzzes the loader over the
 * runtime's own sections.
 *
 * <p>Seeds in {@code GatewayConfigFuzzTestInputs/load} are those of {@code ConfigLoaderFuzzTest}:
 * the shipped profiles and the files of the loader's tests.
 */
class GatewayConfigFuzzTest {

  /** A value the binder could not read: the key it names must be one. */
  private static final Pattern UNREADABLE = Pattern.compile("^key '(.*)' \\(.*\\) cannot be read");

  private static final Path FILE = tempFile();
  private static final ConfigLoader LOADER =
      Roles.configLoader(Map.of(), Map.of(), Roles.available());

  @AfterAll
  static void deleteFile() throws IOException {
    Files.deleteIfExists(FILE);
  }

  @FuzzTest(maxDuration = "60s")
  @DictionaryFile(resourcePath = "GatewayConfigFuzzTest.dict")
  void load(byte[] json) throws IOException {
    Files.write(FILE, json);
    try {
      CourierConfig config = LOADER.load(FILE);
      assertThat(config.roles()).isNotEmpty().allMatch(Roles.available()::containsKey);
      assertThat(config.section(GatewayConfig.SECTION)).isNotNull();
    } catch (ConfigException e) {
      assertThat(e.problems()).isNotEmpty();
      for (String problem : e.problems()) {
        if (problem.startsWith(FILE + ": ")) {
          continue;
        }
        assertThat(problem).as("names a key").containsPattern("\\bkeys? '");
        Matcher unreadable = UNREADABLE.matcher(problem);
        if (unreadable.find()) {
          assertThat(unreadable.group(1)).as("names a key: %s", problem).isNotIn("", "?");
        }
      }
    }
  }

  private static Path tempFile() {
    try {
      Path file = Files.createTempFile("courier-gateway-fuzz-", ".json");
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
