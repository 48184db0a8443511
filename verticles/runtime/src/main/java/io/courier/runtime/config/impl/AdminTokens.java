package io.courier.runtime.config.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The admin server's bearer token, read from {@code admin.tokenFile}. */
public final class AdminTokens {

  /** The shortest token accepted: 32 characters (e.g. 16 random bytes in hex). */
  public static final int MIN_LENGTH = 32;

  private AdminTokens() {}

  /** The file's content without surrounding whitespace, or null when it cannot be read. */
  public static String read(String file) {
    try {
      return readOrThrow(file);
    } catch (UncheckedIOException | java.nio.file.InvalidPathException e) {
      return null;
    }
  }

  /** The file's content without surrounding whitespace; blocks. */
  public static String readOrThrow(String file) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read admin.tokenFile " + file, e);
    }
  }

  /** True when {@code token} can travel in a header: printable ASCII, no spaces. */
  public static boolean headerSafe(String token) {
    return token.chars().allMatch(c -> c >= 0x21 && c <= 0x7e);
  }
}
