package io.courier.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;

/**
 * Configuration files: whatever the bytes, {@link ConfigLoader#load} gives a configuration or a
 * {@link ConfigException} whose every problem names the key at fault (or, for a file that is no
 * JSON object, the file), never another exception.
 *
 * <p>Seeds in {@code ConfigLoaderFuzzTestInputs/load} are the shipped {@code conf/dev.json}, {@code
 * conf/cluster.json} and {@code conf/prod.json} and the files of {@code ConfigLoaderTest}; the
 * dictionary holds every key of the built-in defaults.
 */
class ConfigLoaderFuzzTest {

  private static final Set<String> ROLES =
      Set.of(
          "gateway",
          "kafka-bridge",
          "resilience",
          "user-service",
          "inventory-service",
          "order-service",
          "payment-service",
          "notification-service");

  /** A value the binder could not read: the key it names must be one. */
  private static final Pattern UNREADABLE = Pattern.compile("^key '(.*)' \\(.*\\) cannot be read");

  private static final Path FILE = tempFile();

  /** The runtime's own sections; the roles' are fuzzed in their modules (GatewayConfigFuzzTest). */
  private static final ConfigLoader LOADER =
      new ConfigLoader(
          Map.of(),
          Map.of(),
          ROLES.stream().collect(Collectors.toMap(role -> role, role -> List.of())),
          List.of("gateway"));

  @AfterAll
  static void deleteFile() throws IOException {
    Files.deleteIfExists(FILE);
  }

  @FuzzTest(maxDuration = "60s")
  @DictionaryFile(resourcePath = "ConfigLoaderFuzzTest.dict")
  void load(byte[] json) throws IOException {
    Files.write(FILE, json);
    try {
      CourierConfig config = LOADER.load(FILE);
      assertThat(config.roles()).isNotEmpty().allMatch(ROLES::contains);
    } catch (ConfigException e) {
      assertThat(e.problems()).isNotEmpty();
      for (String problem : e.problems()) {
        if (problem.startsWith(FILE + ": ")) {
          continue;
        }
        // The key is quoted as it is, quotes and all: a file may hold a key like "a'b".
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
      Path file = Files.createTempFile("courier-fuzz-", ".json");
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
