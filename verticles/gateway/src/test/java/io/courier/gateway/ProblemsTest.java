package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.gateway.Problems.FieldError;
import io.courier.gateway.Problems.Problem;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputErrorType;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("The problem for a request the OpenAPI validator refuses")
class ProblemsTest {

  private static final String GOOD =
      "{\"userId\":\"u-1\",\"items\":[{\"sku\":\"sku-1\",\"quantity\":1}]}";

  private static Vertx vertx;
  private static OpenAPIContract contract;
  private static RequestValidator validator;
  private static Problems problems;

  @BeforeAll
  static void loadContract() {
    vertx = Vertx.vertx();
    contract = ApiContract.load(vertx).await();
    validator = RequestValidator.create(vertx, contract);
    problems = new Problems(contract);
  }

  @AfterAll
  static void closeVertx() {
    vertx.close().await();
  }

  @Test
  @DisplayName(
      "names the Idempotency-Key, not the body, when the key cannot be decoded (found by"
          + " PlaceOrderValidationFuzzTest)")
  void shouldNameHeaderThatCannotBeDecoded() {
    Throwable failure = placeOrder("k\"1", GOOD);

    ServiceError error = problems.of(failure).error();

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.type()).isEqualTo("invalid-header");
    assertThat(error.field()).isEqualTo("Idempotency-Key");
    assertThat(error.detail()).isEqualTo("header Idempotency-Key is invalid");
  }

  @Test
  @DisplayName("says a parameter is not valid %-encoding instead of blaming the body")
  void shouldNameUndecodableUrlValue() {
    // What RequestUtils.extract throws for an Idempotency-Key of "100%".
    ServiceError error = problems.of(extractionFailure("100%")).error();

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.type()).isEqualTo("invalid-parameter");
  }

  @Test
  @DisplayName(
      "does not take words the request quotes for the validator's own (found by"
          + " PlaceOrderValidationFuzzTest)")
  void shouldNotReadQuotedRequestAsValidatorWords() {
    // A key with a lone '%' whose text reads like another parameter's error.
    Throwable quoting =
        extractionFailure("x of header parameter Idempoten%y-Key can't be decoded.");
    assertThat(quoting)
        .hasMessage(
            "Can't decode URL value: x of header parameter Idempoten%y-Key can't be decoded.");
    ServiceError header = problems.of(quoting).error();
    assertThat(header.type()).isEqualTo("invalid-parameter");
    assertThat(header.field()).isEmpty();

    // A body whose unknown property is named like a header's error.
    ServiceError body =
        problems
            .of(
                placeOrder(
                    "k", "{\"x of header parameter Evil is invalid.\":1," + GOOD.substring(1)))
            .error();
    assertThat(body.type()).isEqualTo("invalid-body");
    assertThat(body.field()).isNotEqualTo("Evil").contains("Evil");
  }

  @Test
  @DisplayName("still calls a body that is no JSON malformed")
  void shouldCallBrokenJsonMalformed() {
    ServiceError error = problems.of(placeOrder("k", "{\"userId\": ")).error();

    assertThat(error.type()).isEqualTo("malformed-body");
  }

  @org.junit.jupiter.api.Test
  @DisplayName("shows a caller outside a 500's reference only, never its exception or addresses")
  void shouldHideTheDetailOfInternalErrors() {
    ServiceError inside =
        new ServiceError(
            500,
            "internal",
            "java.lang.NullPointerException: peer 10.1.2.3:9091 (courier.stock.reserve.3)",
            "");

    ServiceError outside = Problems.forCaller(inside, "POST /api/v1/orders");

    assertThat(outside.status()).isEqualTo(500);
    assertThat(outside.type()).isEqualTo("internal");
    assertThat(outside.detail())
        .matches("internal error; reference [0-9a-f-]{36}")
        .doesNotContain("NullPointer", "10.1.2.3", "courier.stock");
    ServiceError moving = ServiceError.unavailable("partition-moving", "partition 3 moves");
    assertThat(Problems.forCaller(moving, "x")).as("a 503 says what to do").isEqualTo(moving);
    ServiceError bad = ServiceError.badField("unknown-sku", "items/0/sku", "no such SKU 'x'");
    assertThat(Problems.forCaller(bad, "x")).isEqualTo(bad);
  }

  @Nested
  @DisplayName("decides by the validator's error type and the contract's parameters")
  class ByErrorType {

    @Test
    @DisplayName("MISSING_REQUIRED_PARAMETER for a header: missing-header naming it")
    void shouldNameMissingHeader() {
      Throwable failure = placeOrder(null, GOOD);
      assertThat(type(failure)).isEqualTo(ValidatorErrorType.MISSING_REQUIRED_PARAMETER);

      ServiceError error = problems.of(failure).error();

      assertThat(error)
          .isEqualTo(
              ServiceError.badField(
                  "missing-header", "Idempotency-Key", "the header Idempotency-Key is required"));
    }

    @Test
    @DisplayName("MISSING_REQUIRED_PARAMETER for a path parameter: missing-path naming it")
    void shouldNameMissingPathParameter() {
      Throwable failure = getStock(null);
      assertThat(type(failure)).isEqualTo(ValidatorErrorType.MISSING_REQUIRED_PARAMETER);

      ServiceError error = problems.of(failure).error();

      assertThat(error)
          .isEqualTo(ServiceError.badField("missing-path", "sku", "the path sku is required"));
    }

    @Test
    @DisplayName("MISSING_REQUIRED_PARAMETER made for no parameter: missing-body")
    void shouldCallMissingBodyMissing() {
      Throwable failure = placeOrder("k", "");
      assertThat(type(failure)).isEqualTo(ValidatorErrorType.MISSING_REQUIRED_PARAMETER);

      Problem problem = problems.of(failure);

      assertThat(problem.error())
          .isEqualTo(ServiceError.badField("missing-body", "", "a JSON body is required"));
      assertThat(problem.errors()).isEmpty();
    }

    @Test
    @DisplayName("ILLEGAL_VALUE made for no parameter and without a cause: malformed-body")
    void shouldCallUndecodableBodyMalformed() {
      Throwable failure = placeOrder("k", "[".repeat(2_000));
      assertThat(type(failure)).isEqualTo(ValidatorErrorType.ILLEGAL_VALUE);

      assertThat(problems.of(failure).error())
          .isEqualTo(
              ServiceError.badField(
                  "malformed-body", "", "the body is not valid JSON (or nests deeper than 1000)"));
    }

    @Test
    @DisplayName("ILLEGAL_VALUE of the extraction (URLDecoder's cause): invalid-parameter")
    void shouldTellUndecodableUrlValueByItsCause() {
      Throwable failure = extractionFailure("100%");
      assertThat(type(failure)).isEqualTo(ValidatorErrorType.ILLEGAL_VALUE);
      assertThat(failure.getCause()).isInstanceOf(IllegalArgumentException.class);

      ServiceError error = problems.of(failure).error();

      assertThat(error.type()).isEqualTo("invalid-parameter");
      assertThat(error.field()).isEmpty();
      assertThat(error.detail())
          .isEqualTo(
              "a header or path parameter is not valid %-encoding (a '%' not followed by two hex"
                  + " digits)");
    }

    @Test
    @DisplayName("INVALID_VALUE_FORMAT for a parameter: invalid- its location, naming it")
    void shouldNameParameterThatBreaksItsStyle() {
      Parameter id = parameter("getOrder", "id");
      Parameter key = parameter("placeOrder", "Idempotency-Key");
      Parameter timeout = parameter("getStock", "Courier-Timeout-Ms");

      ServiceError path = problems.of(ValidatorException.createInvalidValueFormat(id)).error();
      ServiceError header = problems.of(ValidatorException.createInvalidValueFormat(key)).error();

      assertThat(path).isEqualTo(ServiceError.badField("invalid-path", "id", "path id is invalid"));
      assertThat(header)
          .isEqualTo(
              ServiceError.badField(
                  "invalid-header", "Idempotency-Key", "header Idempotency-Key is invalid"));
      assertThat(problems.of(ValidatorException.createInvalidValueFormat(timeout)).error())
          .isEqualTo(
              ServiceError.badField(
                  "invalid-header", "Courier-Timeout-Ms", "header Courier-Timeout-Ms is invalid"));
    }

    /** The operation's parameter of that name. */
    private Parameter parameter(String operation, String name) {
      return contract.operation(operation).getParameters().stream()
          .filter(p -> p.getName().equals(name))
          .findFirst()
          .orElseThrow(() -> new AssertionError(operation + " has no parameter " + name));
    }

    @Test
    @DisplayName("INVALID_VALUE of a header's schema: invalid-header naming it")
    void shouldNameHeaderThatBreaksItsSchema() {
      Throwable failure = placeOrder("k".repeat(129), GOOD);
      assertThat(failure.getCause()).isInstanceOf(SchemaValidationException.class);

      Problem problem = problems.of(failure);

      assertThat(problem.error())
          .isEqualTo(
              ServiceError.badField(
                  "invalid-header", "Idempotency-Key", "header Idempotency-Key is invalid"));
      assertThat(problem.errors()).isEmpty();
    }

    @Test
    @DisplayName("INVALID_VALUE of a path parameter's schema: invalid-path naming it")
    void shouldNamePathParameterThatBreaksItsSchema() {
      Throwable failure = getStock("s".repeat(65));
      assertThat(failure.getCause()).isInstanceOf(SchemaValidationException.class);

      assertThat(problems.of(failure).error())
          .isEqualTo(ServiceError.badField("invalid-path", "sku", "path sku is invalid"));
    }

    @Test
    @DisplayName("UNSUPPORTED_VALUE_FORMAT of the body: 415")
    void shouldRefuseBodyOfAnotherMediaType() {
      Throwable failure = placeOrder("text/plain", "k", GOOD);
      assertThat(type(failure)).isEqualTo(ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT);

      assertThat(problems.of(failure).error())
          .isEqualTo(
              new ServiceError(
                  415,
                  "unsupported-media-type",
                  "the body must be application/json or application/x-www-form-urlencoded",
                  ""));
    }
  }

  @Nested
  @DisplayName("names each field of a body against its schema by the failing unit's keyword")
  class ByKeyword {

    @Test
    @DisplayName("type at the root: the body, with the unit's sentence")
    void shouldBlameBodyOfTheWrongType() {
      Throwable failure = placeOrder("k", "[]");

      Problem problem = problems.of(failure);

      String sentence = sentence(failure, "type");
      assertThat(problem.error())
          .isEqualTo(ServiceError.badField("invalid-body", "", "body: " + sentence));
      assertThat(problem.errors()).containsExactly(new FieldError("", sentence));
    }

    @Test
    @DisplayName(
        "type of a declared property: that property once (not again as an additional property)")
    void shouldNamePropertyOfTheWrongTypeOnce() {
      Throwable failure =
          placeOrder("k", "{\"userId\":123,\"items\":[{\"sku\":\"s\",\"quantity\":1}]}");

      Problem problem = problems.of(failure);

      assertThat(problem.error().field()).isEqualTo("userId");
      assertThat(problem.errors())
          .containsExactly(new FieldError("userId", sentence(failure, "type")));
    }

    @Test
    @DisplayName("required: the missing property under the unit's instance location")
    void shouldNameMissingProperties() {
      Problem top = problems.of(placeOrder("k", "{}"));
      Problem nested =
          problems.of(placeOrder("k", "{\"userId\":\"u\",\"items\":[{\"quantity\":1}]}"));

      assertThat(top.error())
          .isEqualTo(ServiceError.badField("invalid-body", "userId", "userId: is required"));
      assertThat(top.errors())
          .containsExactly(
              new FieldError("userId", "is required"), new FieldError("items", "is required"));
      assertThat(nested.errors()).containsExactly(new FieldError("items/0/sku", "is required"));
    }

    @Test
    @DisplayName("additionalProperties: an unknown property, at the root or nested")
    void shouldNameUnknownProperties() {
      Problem top = problems.of(placeOrder("k", "{\"foo\":1," + GOOD.substring(1)));
      Problem nested =
          problems.of(
              placeOrder(
                  "k", "{\"userId\":\"u\",\"items\":[{\"sku\":\"s\",\"quantity\":1,\"x\":2}]}"));

      assertThat(top.error())
          .isEqualTo(ServiceError.badField("invalid-body", "foo", "foo: unknown property"));
      assertThat(top.errors()).containsExactly(new FieldError("foo", "unknown property"));
      assertThat(nested.errors()).containsExactly(new FieldError("items/0/x", "unknown property"));
    }

    @Test
    @DisplayName("minimum and maximum: the number, not the items, line or property around it")
    void shouldNameNumberOutOfRange() {
      Throwable zero = placeOrder("k", GOOD.replace("\"quantity\":1", "\"quantity\":0"));
      Throwable over = placeOrder("k", GOOD.replace("\"quantity\":1", "\"quantity\":10001"));

      assertThat(problems.of(zero).errors())
          .containsExactly(new FieldError("items/0/quantity", sentence(zero, "minimum")));
      assertThat(problems.of(over).errors())
          .containsExactly(new FieldError("items/0/quantity", sentence(over, "maximum")));
    }

    @Test
    @DisplayName("minItems and maxItems: the array")
    void shouldNameArrayOfTheWrongSize() {
      Throwable empty = placeOrder("k", "{\"userId\":\"u\",\"items\":[]}");
      String line = ",{\"sku\":\"s\",\"quantity\":1}";
      Throwable tooMany =
          placeOrder("k", "{\"userId\":\"u\",\"items\":[" + line.repeat(101).substring(1) + "]}");

      assertThat(problems.of(empty).errors())
          .containsExactly(new FieldError("items", sentence(empty, "minItems")));
      assertThat(problems.of(tooMany).errors())
          .containsExactly(new FieldError("items", sentence(tooMany, "maxItems")));
    }

    @Test
    @DisplayName("minLength and maxLength: the string")
    void shouldNameStringOfTheWrongLength() {
      Throwable empty = placeOrder("k", GOOD.replace("\"u-1\"", "\"\""));
      Throwable tooLong = placeOrder("k", GOOD.replace("\"sku-1\"", "\"" + "s".repeat(65) + "\""));

      assertThat(problems.of(empty).errors())
          .containsExactly(new FieldError("userId", sentence(empty, "minLength")));
      assertThat(problems.of(tooLong).errors())
          .containsExactly(new FieldError("items/0/sku", sentence(tooLong, "maxLength")));
    }

    @Test
    @DisplayName("does not depend on the wording of any unit but a required one's quoted name")
    void shouldDecideFromLocationsNotWords() {
      OutputUnit units =
          new OutputUnit(false)
              .setErrors(
                  List.of(
                      unit("#/items", "#/properties", "1"),
                      unit("#/items", "#/properties/items/items", "2"),
                      unit("#/items/0", "#/properties/items/items/$ref", "3"),
                      unit("#/items/0/quantity", "#/properties/items/items/$ref/properties", "4"),
                      unit(
                          "#/items/0/quantity",
                          "#/properties/items/items/$ref/properties/quantity/minimum",
                          "zu klein"),
                      unit(
                          "#/items/0/quantity",
                          "#/properties/items/items/$ref/additionalProperties",
                          "5"),
                      unit("#/items/1", "#/properties/items/items/$ref/required", "fehlt: \"sku\""),
                      unit("#/x", "#/additionalProperties", "6"),
                      unit("#/items", "#/additionalProperties", "7")));
      SchemaValidationException reworded =
          new SchemaValidationException(
              "Der Body ist ungültig", ValidatorErrorType.INVALID_VALUE, units, null);

      Problem problem = problems.of(new HttpException(400, reworded.getMessage(), reworded));

      assertThat(problem.error())
          .isEqualTo(
              ServiceError.badField(
                  "invalid-body", "items/0/quantity", "items/0/quantity: zu klein"));
      assertThat(problem.errors())
          .containsExactly(
              new FieldError("items/0/quantity", "zu klein"),
              new FieldError("items/1/sku", "is required"),
              new FieldError("x", "unknown property"));
    }

    @Test
    @DisplayName(
        "relies on vertx-json-schema quoting the missing property in a required unit (the only"
            + " words read): this fails if its wording changes")
    void shouldFindMissingPropertyQuotedByTheValidator() {
      Throwable failure = placeOrder("k", "{\"userId\":\"u\",\"items\":[{\"quantity\":1}]}");

      assertThat(sentence(failure, "required"))
          .isEqualTo("Instance does not have required property \"sku\"");
    }
  }

  /** The failure the router's validation step fails the route with. */
  private static Throwable placeOrder(String key, String body) {
    return placeOrder("application/json", key, body);
  }

  private static Throwable placeOrder(String contentType, String key, String body) {
    Map<String, RequestParameter> headers =
        key == null ? Map.of() : Map.of("Idempotency-Key", new RequestParameterImpl(key));
    return validated(
        "placeOrder",
        new ValidatableRequestImpl(
            Map.of(),
            headers,
            Map.of(),
            Map.of(),
            new RequestParameterImpl(Buffer.buffer(body)),
            contentType));
  }

  private static Throwable getStock(String sku) {
    Map<String, RequestParameter> path =
        sku == null ? Map.of() : Map.of("sku", new RequestParameterImpl(sku));
    return validated(
        "getStock",
        new ValidatableRequestImpl(
            Map.of(), Map.of(), path, Map.of(), new RequestParameterImpl(null), null));
  }

  private static Throwable validated(String operation, ValidatableRequestImpl request) {
    Throwable failure =
        validator
            .validate(request, operation)
            .map(ok -> (Throwable) null)
            .otherwise(e -> e)
            .await();
    assertThat(failure).isInstanceOf(ValidatorException.class);
    return new HttpException(400, failure.getMessage(), failure);
  }

  /**
   * What the router's extraction throws for an Idempotency-Key it cannot %-decode (before any
   * validator runs, so the route fails with it unwrapped).
   */
  private static Throwable extractionFailure(String key) {
    MultiMap headers =
        MultiMap.caseInsensitiveMultiMap()
            .add(HttpHeaders.CONTENT_TYPE, "application/json")
            .add("Idempotency-Key", key);
    HttpServerRequest request =
        (HttpServerRequest)
            Proxy.newProxyInstance(
                ProblemsTest.class.getClassLoader(),
                new Class<?>[] {HttpServerRequest.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "headers" -> headers;
                      case "getHeader" -> headers.get(String.valueOf(args[0]));
                      case "method" -> HttpMethod.POST;
                      case "path", "uri" -> "/api/v1/orders";
                      default -> throw new UnsupportedOperationException(method.getName());
                    });
    try {
      RequestUtils.extract(
          request,
          contract.operation("placeOrder"),
          () -> Future.succeededFuture(Buffer.buffer(GOOD)));
    } catch (ValidatorException e) {
      return e;
    }
    throw new AssertionError("the extraction took " + key);
  }

  /** The error type of the validator's failure, wrapped by the router or (extraction) not. */
  private static ValidatorErrorType type(Throwable failure) {
    Throwable invalid = failure instanceof HttpException ? failure.getCause() : failure;
    return ((ValidatorException) invalid).type();
  }

  /** The validator's own sentence for the unit of {@code keyword} in a body's failure. */
  private static String sentence(Throwable failure, String keyword) {
    OutputUnit unit = ((SchemaValidationException) failure.getCause()).getOutputUnit();
    return unit.getErrors().stream()
        .filter(error -> error.getKeywordLocation().endsWith("/" + keyword))
        .map(OutputUnit::getError)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + keyword + " unit in " + unit));
  }

  private static OutputUnit unit(String instance, String keyword, String error) {
    return new OutputUnit(instance, null, keyword, error, OutputErrorType.INVALID_VALUE);
  }
}
