package io.courier.gateway;

import io.courier.runtime.config.ConfigChecks;

/**
 * The bulk import of orders ({@code POST /api/v1/orders:import}): the {@code gateway.imports}
 * section.
 *
 * @param tempDir directory under which the uploads directory ({@value #UPLOADS}) is made; empty:
 *     the JVM's temporary directory ({@code java.io.tmpdir})
 * @param maxFileBytes largest multipart body an import may send (the file part and the rest);
 *     larger ones get 413 and the partial file is removed
 * @param maxLines most lines a file may hold (blank ones included); more get 413 and nothing is
 *     placed
 * @param concurrency lines of one import placed at once
 * @param timeoutMs how long one import may take, upload included, before the gateway answers 503
 */
public record ImportConfig(
    String tempDir, int maxFileBytes, int maxLines, int concurrency, long timeoutMs) {

  /** The directory under {@code tempDir} that holds uploads while their import runs. */
  public static final String UPLOADS = "courier-uploads";

  public static final ImportConfig DEFAULTS = new ImportConfig("", 1_048_576, 1_000, 4, 60_000);

  public ImportConfig {
    ConfigChecks checks =
        new ConfigChecks()
            .atLeast("maxFileBytes", maxFileBytes, 256)
            .atLeast("maxLines", maxLines, 1)
            .require(maxLines <= 10_000, "maxLines", "is " + maxLines + "; must be <= 10000")
            .atLeast("concurrency", concurrency, 1)
            .require(concurrency <= 64, "concurrency", "is " + concurrency + "; must be <= 64")
            .atLeast("timeoutMs", timeoutMs, 1_000);
    checks.orThrow();
  }

  /** Where uploads wait for their import: {@code <tempDir>/courier-uploads}. */
  public String uploadsDir() {
    String base = tempDir.isBlank() ? System.getProperty("java.io.tmpdir") : tempDir;
    return java.nio.file.Path.of(base, UPLOADS).toString();
  }
}
