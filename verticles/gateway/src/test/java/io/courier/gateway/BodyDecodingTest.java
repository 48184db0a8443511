package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.service.ServiceError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Form bodies and import files, as the gateway reads them")
class BodyDecodingTest {

  @Test
  @DisplayName("a form's sku and quantity pairs become items, in order, digits as numbers")
  void shouldPairSkusAndQuantitiesIntoItems() {
    Map<String, List<String>> form =
        FormBodies.decode(
            Buffer.buffer("userId=u+1&sku=a%2Fb&quantity=2&sku=%C3%A9&quantity=x&&note=hi"));
    JsonObject json = FormBodies.placeOrderJson(form);
    assertThat(json.getString("userId")).isEqualTo("u 1");
    assertThat(json.getJsonArray("items").getJsonObject(0).encode())
        .isEqualTo("{\"sku\":\"a/b\",\"quantity\":2}");
    assertThat(json.getJsonArray("items").getJsonObject(1).getString("sku")).isEqualTo("é");
    assertThat(json.getJsonArray("items").getJsonObject(1).getValue("quantity")).isEqualTo("x");
    assertThat(json.getString("note")).as("left for the schema to refuse").isEqualTo("hi");
  }

  @Test
  @DisplayName(
      "a form with a bad %-escape, a field without '=', or bytes that are not UTF-8 is malformed")
  void shouldRefuseMalformedForms() {
    for (Buffer body :
        List.of(
            Buffer.buffer("userId=u1&sku=%zz"),
            Buffer.buffer("userId=u1&sku=%4"),
            Buffer.buffer("userId=u1&sku"),
            Buffer.buffer("userId=%C3"),
            Buffer.buffer(new byte[] {'a', '=', (byte) 0xff}))) {
      assertThatThrownBy(() -> FormBodies.decode(body))
          .as(body.toString())
          .isInstanceOfSatisfying(
              ServiceError.Failure.class,
              failure -> assertThat(failure.error().type()).isEqualTo("malformed-body"));
    }
  }

  @Test
  @DisplayName("a CSV import skips its header and blank lines but counts them, and reads CRLF")
  void shouldReadCsvLinesWithTheirNumbers() {
    ImportLines.Read read =
        ImportLines.read(
            Buffer.buffer("\uFEFFuserId,sku,quantity\r\nu1,s1,2\r\n\r\nu2,s2\r\n"),
            ImportLines.Format.CSV,
            4);
    assertThat(read.lines()).isEqualTo(4);
    assertThat(read.orders()).extracting(ImportLines.Line::number).containsExactly(2, 4);
    assertThat(read.orders().get(0).order().encode())
        .isEqualTo("{\"userId\":\"u1\",\"items\":[{\"sku\":\"s1\",\"quantity\":2}]}");
    assertThat(read.orders().get(1).problem().type()).isEqualTo("malformed-line");
  }

  @Test
  @DisplayName(
      "a file over maxLines, a CSV without its header, and a file not in UTF-8 are refused")
  void shouldRefuseFilesAsAWhole() {
    assertThat(refusal("a\nb\nc\n", ImportLines.Format.NDJSON, 2).type())
        .isEqualTo("too-many-lines");
    assertThat(refusal("{}\n{}\n", ImportLines.Format.NDJSON, 2)).isNull();
    assertThat(refusal("user,sku\n", ImportLines.Format.CSV, 5).type()).isEqualTo("invalid-file");
    assertThat(refusal("", ImportLines.Format.CSV, 5).type()).isEqualTo("invalid-file");
    assertThatThrownBy(
            () ->
                ImportLines.read(
                    Buffer.buffer(new byte[] {(byte) 0xc3}), ImportLines.Format.NDJSON, 5))
        .isInstanceOf(ServiceError.Failure.class);
  }

  @Test
  @DisplayName("the format field wins over the part's type; an unknown one is no format")
  void shouldChooseTheFormat() {
    assertThat(ImportLines.Format.of(null, "text/csv; charset=utf-8"))
        .isEqualTo(ImportLines.Format.CSV);
    assertThat(ImportLines.Format.of(null, "application/x-ndjson"))
        .isEqualTo(ImportLines.Format.NDJSON);
    assertThat(ImportLines.Format.of("ndjson", "text/csv")).isEqualTo(ImportLines.Format.NDJSON);
    assertThat(ImportLines.Format.of(null, "text/plain")).isNull();
    assertThat(ImportLines.Format.of("xml", "text/csv")).isNull();
  }

  private static ServiceError refusal(String file, ImportLines.Format format, int maxLines) {
    try {
      ImportLines.read(Buffer.buffer(file), format, maxLines);
      return null;
    } catch (ServiceError.Failure failure) {
      return failure.error();
    }
  }
}
