package io.courier.gateway;

import io.courier.service.ServiceError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An import file's lines as the JSON {@code PlaceOrderRequest}s they stand for: CSV (a header
 * {@value #CSV_HEADER}, then one single-item order per line, no quoting) or NDJSON (one JSON object
 * per line). A line that cannot be read as either is kept with its problem, so it gets a result of
 * its own; the schema judges the rest when the line is placed.
 */
final class ImportLines {

  /** The one CSV header the import takes. */
  static final String CSV_HEADER = "userId,sku,quantity";

  /** How a file is read. */
  enum Format {
    CSV,
    NDJSON;

    /**
     * The format a {@code format} field names ({@code csv}, {@code ndjson}), else the one the file
     * part's media type says, else null.
     */
    static Format of(String field, String partType) {
      if (field != null) {
        return switch (field.trim().toLowerCase(Locale.ROOT)) {
          case "csv" -> CSV;
          case "ndjson" -> NDJSON;
          default -> null;
        };
      }
      String type = partType == null ? "" : partType.split(";", 2)[0].trim();
      return switch (type.toLowerCase(Locale.ROOT)) {
        case "text/csv" -> CSV;
        case "application/x-ndjson", "application/jsonl", "application/ndjson" -> NDJSON;
        default -> null;
      };
    }
  }

  /**
   * One line to place: its number (from 1), and its order as JSON, or the problem that kept it from
   * being read.
   */
  record Line(int number, JsonObject order, ServiceError problem) {}

  /** A file read: how many lines it has (blank ones and a CSV header included), and its orders. */
  record Read(int lines, List<Line> orders) {}

  private ImportLines() {}

  /**
   * The file's non-blank lines, each read as {@code format} says.
   *
   * @param maxLines most lines the file may hold, blank ones and a CSV header included
   * @throws ServiceError.Failure 400 {@code invalid-file} for a file that is not UTF-8 or a CSV
   *     header that is not {@value #CSV_HEADER}; 413 {@code too-many-lines}
   */
  static Read read(Buffer file, Format format, int maxLines) {
    String[] lines = text(file).split("\n", -1);
    int count = lines.length;
    if (count > 0 && lines[count - 1].isEmpty()) {
      count--; // the newline that ends the last line starts none
    }
    if (count > maxLines) {
      throw new ServiceError(
              413,
              "too-many-lines",
              "the file has " + count + " lines; an import takes at most " + maxLines,
              "file")
          .failure();
    }
    int first = 0;
    if (format == Format.CSV) {
      String header = count == 0 ? "" : strip(lines[0]).trim();
      if (!header.equals(CSV_HEADER)) {
        throw ServiceError.badField(
                "invalid-file",
                "file",
                "a CSV import starts with the header line '"
                    + CSV_HEADER
                    + "', was '"
                    + cut(header)
                    + "'")
            .failure();
      }
      first = 1;
    }
    List<Line> read = new ArrayList<>();
    for (int i = first; i < count; i++) {
      String line = strip(lines[i]);
      if (line.isBlank()) {
        continue;
      }
      read.add(format == Format.CSV ? csv(i + 1, line) : ndjson(i + 1, line));
    }
    return new Read(count, read);
  }

  private static Line csv(int number, String line) {
    String[] columns = line.split(",", -1);
    if (columns.length != 3) {
      return malformed(
          number, "a CSV line has 3 columns (" + CSV_HEADER + "), this one " + columns.length);
    }
    JsonObject item =
        new JsonObject()
            .put("sku", columns[1].trim())
            .put("quantity", FormBodies.number(columns[2].trim()));
    return new Line(
        number,
        new JsonObject().put("userId", columns[0].trim()).put("items", new JsonArray().add(item)),
        null);
  }

  private static Line ndjson(int number, String line) {
    try {
      return new Line(number, new JsonObject(line), null);
    } catch (DecodeException e) {
      return malformed(number, "an NDJSON line is one JSON object; this one is not");
    }
  }

  private static Line malformed(int number, String detail) {
    return new Line(number, null, ServiceError.badField("malformed-line", "", detail));
  }

  private static String text(Buffer file) {
    try {
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(file.getBytes()))
              .toString();
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    } catch (CharacterCodingException e) {
      throw ServiceError.badField("invalid-file", "file", "the file is not UTF-8").failure();
    }
  }

  /** A line without the carriage return of a CRLF file. */
  private static String strip(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }

  private static String cut(String text) {
    return text.length() > 64 ? text.substring(0, 64) + "..." : text;
  }
}
