package io.courier.gateway;

import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.ValidatableRequest;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code POST /api/v1/orders} as {@code application/x-www-form-urlencoded}: the router's request
 * extractor, which hands the OpenAPI validator such a body as the JSON {@code PlaceOrderRequest} it
 * stands for, so the form is validated by the same schema, with the same problems, and placed by
 * the same handler as JSON. vertx-openapi 5.0.7 cannot validate a form body itself (its contract
 * loader refuses the media type). Every other request is extracted as {@link
 * RequestExtractor#withBodyHandler()} does.
 *
 * <p>The form: {@code userId} once, then one {@code sku} and one {@code quantity} per line, paired
 * in the order they come; the n-th pair becomes {@code items/n}. A quantity of digits becomes a
 * JSON integer, anything else stays a string (and the schema refuses its type); any other field is
 * passed on, and the schema refuses it as an unknown property.
 */
final class FormBodies implements RequestExtractor {

  /** The form media type. */
  static final String FORM = "application/x-www-form-urlencoded";

  private static final String PLACE_ORDER = "placeOrder";

  private final RequestExtractor plain = RequestExtractor.withBodyHandler();

  @Override
  public Future<ValidatableRequest> extractValidatableRequest(
      RoutingContext routing, Operation operation) {
    String type = routing.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (!PLACE_ORDER.equals(operation.getOperationId()) || !isForm(type)) {
      return plain.extractValidatableRequest(routing, operation);
    }
    Buffer json;
    try {
      if (!utf8(type)) {
        throw new ServiceError(415, "unsupported-media-type", "a form must be UTF-8", "").failure();
      }
      Buffer raw = routing.body().buffer();
      json = placeOrderJson(decode(raw == null ? Buffer.buffer() : raw)).toBuffer();
    } catch (ServiceError.Failure refused) {
      return Future.failedFuture(refused);
    }
    return RequestUtils.extract(routing.request(), operation, () -> Future.succeededFuture(json))
        .map(extracted -> new AsJson(extracted, json));
  }

  static boolean isForm(String contentType) {
    return contentType != null && bare(contentType).equals(FORM);
  }

  private static String bare(String contentType) {
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
        .trim()
        .toLowerCase(Locale.ROOT);
  }

  /** No charset, or UTF-8 (the only one HTML forms and curl send a form in today). */
  private static boolean utf8(String contentType) {
    for (String parameter : contentType.split(";")) {
      String[] pair = parameter.trim().split("=", 2);
      if (pair.length == 2 && pair[0].trim().equalsIgnoreCase("charset")) {
        String charset = pair[1].trim().replace("\"", "");
        return charset.equalsIgnoreCase("utf-8") || charset.equalsIgnoreCase("utf8");
      }
    }
    return true;
  }

  /**
   * The form's fields in order, each name with its values: strict {@code %}-decoding of UTF-8
   * ({@code +} is a space), refusing what is not a form with {@code malformed-body}.
   */
  static Map<String, List<String>> decode(Buffer body) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(body.getBytes()))
              .toString();
    } catch (CharacterCodingException e) {
      throw malformed("the form is not UTF-8");
    }
    Map<String, List<String>> fields = new LinkedHashMap<>();
    for (String pair : text.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      int equals = pair.indexOf('=');
      if (equals <= 0) {
        throw malformed("each form field must be name=value, was '" + cut(pair) + "'");
      }
      fields
          .computeIfAbsent(component(pair.substring(0, equals)), name -> new ArrayList<>())
          .add(component(pair.substring(equals + 1)));
    }
    return fields;
  }

  /** One name or value, %-decoded; a '%' must be followed by two hex digits. */
  private static String component(String encoded) {
    byte[] bytes = new byte[encoded.length() * 4];
    int length = 0;
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%') {
        int high = i + 2 < encoded.length() ? Character.digit(encoded.charAt(i + 1), 16) : -1;
        int low = high < 0 ? -1 : Character.digit(encoded.charAt(i + 2), 16);
        if (low < 0) {
          throw malformed("'%' must be followed by two hex digits in '" + cut(encoded) + "'");
        }
        bytes[length++] = (byte) (high * 16 + low);
        i += 2;
      } else if (c == '+') {
        bytes[length++] = ' ';
      } else {
        byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < encoded.length()) {
          utf8 = encoded.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        System.arraycopy(utf8, 0, bytes, length, utf8.length);
        length += utf8.length;
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, length))
          .toString();
    } catch (CharacterCodingException e) {
      throw malformed("a %-encoded form field is not UTF-8: '" + cut(encoded) + "'");
    }
  }

  /** The JSON {@code PlaceOrderRequest} a form stands for (the schema judges it, not this). */
  static JsonObject placeOrderJson(Map<String, List<String>> form) {
    JsonObject json = new JsonObject();
    List<String> skus = form.getOrDefault("sku", List.of());
    List<String> quantities = form.getOrDefault("quantity", List.of());
    form.forEach(
        (name, values) -> {
          if (!name.equals("sku") && !name.equals("quantity")) {
            json.put(name, values.size() == 1 ? values.get(0) : new JsonArray(List.copyOf(values)));
          }
        });
    int lines = Math.max(skus.size(), quantities.size());
    if (lines > 0) {
      JsonArray items = new JsonArray();
      for (int i = 0; i < lines; i++) {
        JsonObject item = new JsonObject();
        if (i < skus.size()) {
          item.put("sku", skus.get(i));
        }
        if (i < quantities.size()) {
          item.put("quantity", number(quantities.get(i)));
        }
        items.add(item);
      }
      json.put("items", items);
    }
    return json;
  }

  /** Digits (with an optional '-') as a JSON number, anything else as the string it is. */
  static Object number(String value) {
    if (value.matches("-?[0-9]{1,18}")) {
      return Long.parseLong(value);
    }
    return value;
  }

  private static ServiceError.Failure malformed(String detail) {
    return ServiceError.badField("malformed-body", "", detail).failure();
  }

  private static String cut(String text) {
    return text.length() > 32 ? text.substring(0, 32) + "..." : text;
  }

  /** The extracted request with the form's JSON as its body, said to be JSON. */
  private record AsJson(ValidatableRequest extracted, Buffer json) implements ValidatableRequest {

    @Override
    public Map<String, RequestParameter> getCookies() {
      return extracted.getCookies();
    }

    @Override
    public Map<String, RequestParameter> getPathParameters() {
      return extracted.getPathParameters();
    }

    @Override
    public Map<String, RequestParameter> getQuery() {
      return extracted.getQuery();
    }

    @Override
    public Map<String, RequestParameter> getHeaders() {
      return extracted.getHeaders();
    }

    @Override
    public RequestParameter getBody() {
      return () -> json;
    }

    @Override
    public String getContentType() {
      return MediaType.APPLICATION_JSON;
    }
  }
}
