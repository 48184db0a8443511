package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;
import java.lang.reflect.Proxy;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
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
    contract = OpenAPIContract.from(vertx, GatewayHttpVerticle.CONTRACT).await();
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
}
