package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.service.ServiceError;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;
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
  private static RequestValidator validator;

  @BeforeAll
  static void loadContract() {
    vertx = Vertx.vertx();
    validator =
        RequestValidator.create(
            vertx, OpenAPIContract.from(vertx, GatewayHttpVerticle.CONTRACT).await());
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

    ServiceError error = Problems.of(failure).error();

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.type()).isEqualTo("invalid-header");
    assertThat(error.field()).isEqualTo("Idempotency-Key");
    assertThat(error.detail()).isEqualTo("header Idempotency-Key is invalid");
  }

  @Test
  @DisplayName("says a parameter is not valid %-encoding instead of blaming the body")
  void shouldNameUndecodableUrlValue() {
    // What RequestUtils.extract throws for an Idempotency-Key of "100%".
    ServiceError error =
        Problems.of(
                new ValidatorException(
                    "Can't decode URL value: 100%", ValidatorErrorType.ILLEGAL_VALUE))
            .error();

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.type()).isEqualTo("invalid-parameter");
  }

  @Test
  @DisplayName(
      "does not take words the request quotes for the validator's own (found by"
          + " PlaceOrderValidationFuzzTest)")
  void shouldNotReadQuotedRequestAsValidatorWords() {
    // A key with a lone '%' whose text reads like another parameter's error.
    ServiceError header =
        Problems.of(
                new ValidatorException(
                    "Can't decode URL value: x of header parameter Idempoten%y-Key can't be"
                        + " decoded.",
                    ValidatorErrorType.ILLEGAL_VALUE))
            .error();
    assertThat(header.type()).isEqualTo("invalid-parameter");
    assertThat(header.field()).isEmpty();

    // A body whose unknown property is named like a header's error.
    ServiceError body =
        Problems.of(
                placeOrder(
                    "k", "{\"x of header parameter Evil is invalid.\":1," + GOOD.substring(1)))
            .error();
    assertThat(body.type()).isEqualTo("invalid-body");
    assertThat(body.field()).isNotEqualTo("Evil").contains("Evil");
  }

  @Test
  @DisplayName("still calls a body that is no JSON malformed")
  void shouldCallBrokenJsonMalformed() {
    ServiceError error = Problems.of(placeOrder("k", "{\"userId\": ")).error();

    assertThat(error.type()).isEqualTo("malformed-body");
  }

  /** The failure the router's validation step fails the route with. */
  private static Throwable placeOrder(String key, String body) {
    ValidatableRequestImpl request =
        new ValidatableRequestImpl(
            Map.of(),
            Map.of("Idempotency-Key", new RequestParameterImpl(key)),
            Map.of(),
            Map.of(),
            new RequestParameterImpl(Buffer.buffer(body)),
            "application/json");
    Throwable failure =
        validator
            .validate(request, "placeOrder")
            .map(ok -> (Throwable) null)
            .otherwise(e -> e)
            .await();
    assertThat(failure).isInstanceOf(ValidatorException.class);
    return new HttpException(400, failure.getMessage(), failure);
  }
}
