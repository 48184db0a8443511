package io.courier.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The top-level README stays short and starts with its two set-up commands (issue 22), CI runs its
 * test command, and no relative link of the README or of {@code docs/} leads nowhere.
 */
@DisplayName("The README and docs/")
class ReadmeTest {

  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();

  /** At most 15 KiB: the depth lives in docs/. */
  static final long MAX_README_BYTES = 15_360;

  /** The README's two set-up commands: run on the embedded defaults, and run the tests. */
  static final String RUN_COMMAND =
      "mvn -B -q -DskipTests package && java -jar verticles/app/target/courier.jar run --config"
          + " conf/dev.json";

  static final String TEST_COMMAND = "mvn -B verify";

  /** A Markdown link or image target: {@code [text](target)}, outside code. */
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

  private static final Pattern FENCED = Pattern.compile("(?ms)^```.*?^```[^\\n]*$");
  private static final Pattern INLINE_CODE = Pattern.compile("`[^`\\n]*`");

  @Test
  @DisplayName("is at most 15,360 bytes")
  void shouldBeShort() throws IOException {
    assertThat(Files.size(ROOT.resolve("README.md")))
        .as("README.md in bytes (move depth into docs/)")
        .isLessThanOrEqualTo(MAX_README_BYTES);
  }

  @Test
  @DisplayName("starts with exactly the two set-up commands")
  void shouldStartWithTheTwoCommands() throws IOException {
    List<String> lines = Files.readAllLines(ROOT.resolve("README.md"), StandardCharsets.UTF_8);

    assertThat(lines.subList(0, 6))
        .containsExactly("# Courier", "", "```bash", RUN_COMMAND, TEST_COMMAND, "```");
  }

  @Test
  @DisplayName("gives the test command CI runs")
  void shouldGiveTheTestCommandCiRuns() throws IOException {
    List<String> ci =
        Files.readAllLines(ROOT.resolve(".ci/run"), StandardCharsets.UTF_8).stream()
            .map(String::strip)
            .toList();

    assertThat(ci).contains(TEST_COMMAND);
  }

  @Test
  @DisplayName("links only to files that exist, from the README and every page of docs/")
  void shouldLinkOnlyToExistingFiles() throws IOException {
    List<Path> pages = new ArrayList<>();
    pages.add(ROOT.resolve("README.md"));
    try (Stream<Path> docs = Files.walk(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    assertThat(pages).hasSizeGreaterThan(5);

    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path page : pages) {
      for (String target : relativeLinks(Files.readString(page, StandardCharsets.UTF_8))) {
        checked++;
        String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
        Path resolved =
            file.isEmpty()
                ? page
                : page.getParent()
                    .resolve(URLDecoder.decode(file, StandardCharsets.UTF_8))
                    .normalize();
        if (!Files.exists(resolved) || !resolved.startsWith(ROOT)) {
          broken.add(ROOT.relativize(page) + ": " + target);
        }
      }
    }
    assertThat(checked).as("relative links found").isGreaterThan(20);
    assertThat(broken).as("relative links to files that do not exist").isEmpty();
  }

  @Test
  @DisplayName("finds the relative links of a page, and only those")
  void shouldFindRelativeLinks() {
    String page =
        "See [a](docs/a.md), [b](b.md#part), ![c](images/c.png) and [d](https://example.com).\n"
            + "`[e](not-a-link.md)`\n```bash\necho '[f](nor-this.md)'\n```\n[g](#here)\n";

    assertThat(relativeLinks(page))
        .containsExactly("docs/a.md", "b.md#part", "images/c.png", "#here");
  }

  /** The relative link targets of a Markdown page: no URLs with a scheme, nothing in code. */
  static List<String> relativeLinks(String markdown) {
    String prose = INLINE_CODE.matcher(FENCED.matcher(markdown).replaceAll("")).replaceAll("");
    List<String> targets = new ArrayList<>();
    Matcher link = LINK.matcher(prose);
    while (link.find()) {
      String target = link.group(1);
      if (!target.matches("[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
        targets.add(target);
      }
    }
    return targets;
  }
}
