package io.courier.gateway;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.ValidatorException;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;

/**
 * The validation of {@code POST /api/v1/orders}, in-process and without HTTP: the request goes
 * through the same steps the gateway's OpenAPI router takes (extraction of the header and body,
 * {@link RequestValidator} against {@code courier-api.yaml}), then either {@link
 * OrdersApi#placeOrderRequest} turns it into the contract message or {@link Problems#of} into the
 * problem the client gets. Whatever the bytes: a request that keeps every rule of the contract, or
 * a 4xx problem of the kind its defect calls for; never an unexpected exception (a 500).
 *
 * <p>Input: the {@code Content-Type} line, the {@code Idempotency-Key} line (an empty line sends no
 * such header), then the body. Seeds in {@code PlaceOrderValidationFuzzTestInputs/validate} are the
 * requests of {@code OrderFlowIT}'s table of bad requests, {@code HostileInputIT} and {@code
 * RateLimitHandlerTest}.
 */
class PlaceOrderValidationFuzzTest {

  private static final String OPERATION = "placeOrder";
  private static final Set<String> PROBLEM_TYPES =
      Set.of(
          "missing-header",
          "invalid-header",
          "invalid-parameter",
          "missing-body",
          "malformed-body",
          "invalid-body",
          "unsupported-media-type");

  private static final Vertx VERTX = Vertx.vertx();
  private static final OpenAPIContract CONTRACT = await(ApiContract.load(VERTX));
  private static final Operation PLACE_ORDER = CONTRACT.operation(OPERATION);
  private static final RequestValidator VALIDATOR = RequestValidator.create(VERTX, CONTRACT);
  private static final Problems PROBLEMS = new Problems(CONTRACT);

  @AfterAll
  static void closeVertx() {
    await(VERTX.close());
  }

  @FuzzTest(maxDuration = "60s")
  @DictionaryEntries({
    "\"userId\":",
    "\"items\":",
    "\"sku\":",
    "\"quantity\":",
    "application/json",
    "; charset=utf-8",
    "%",
    "\\u0000",
    "1e999",
    "-0",
    "10000"
  })
  void validate(byte[] input) {
    int first = indexOf(input, 0);
    int second = first < 0 ? -1 : indexOf(input, first + 1);
    String contentType = first < 0 ? text(input, 0, input.length) : text(input, 0, first);
    String key = second < 0 ? null : text(input, first + 1, second);
    Buffer body =
        Buffer.buffer(
            second < 0 ? new byte[0] : Arrays.copyOfRange(input, second + 1, input.length));

    Object outcome = routed(request(contentType, key), body);

    if (outcome instanceof ValidatedRequest validated) {
      ServiceError badKey = OrdersApi.keyProblem(key);
      if (badKey != null) {
        // Valid once decoded, too long as sent: refused on the raw value.
        assertThat(badKey.status()).isEqualTo(400);
        assertThat(badKey.field()).isEqualTo("Idempotency-Key");
        return;
      }
      checkValid(OrdersApi.placeOrderRequest(validated, key));
      return;
    }
    Throwable failure = (Throwable) outcome;
    Problems.Problem problem = PROBLEMS.of(failure);
    ServiceError error = problem.error();
    if (!PROBLEM_TYPES.contains(error.type())) {
      throw new AssertionError(
          "a request failed with " + failure + " and answers " + error.status() + " " + error,
          failure);
    }
    assertThat(error.status()).isIn(400, 415);
    assertThat(error.detail()).isNotBlank();
    switch (error.type()) {
      case "missing-header", "invalid-header" ->
          assertThat(error.field()).isEqualTo("Idempotency-Key");
      case "invalid-parameter" -> assertThat(key).contains("%");
      case "missing-body" -> assertThat(body.length()).isZero();
      case "malformed-body" ->
          assertThat(decodes(body))
              .as(
                  "the problem says the body is no JSON, for %s caused by %s",
                  failure, failure.getCause())
              .isFalse();
      default -> {}
    }
  }

  /** What the router would hand on: the validated request, or the failure its handler gets. */
  private static Object routed(HttpServerRequest request, Buffer body) {
    Future<ValidatedRequest> validated;
    try {
      // RouterBuilder: RequestExtractor.withBodyHandler(), then the validator; a ValidatorException
      // fails the route with 400 wrapping it, a synchronous throw fails it with the exception.
      validated =
          RequestUtils.extract(request, PLACE_ORDER, () -> Future.succeededFuture(body))
              .compose(extracted -> VALIDATOR.validate(extracted, OPERATION))
              .recover(
                  e ->
                      Future.failedFuture(
                          e instanceof ValidatorException
                              ? new HttpException(400, e.getMessage(), e)
                              : e));
    } catch (RuntimeException e) {
      return e;
    }
    try {
      return validated.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("validation did not finish", e);
    }
  }

  private static void checkValid(PlaceOrderRequest place) {
    assertThat(place.getIdempotencyKey()).isNotEmpty();
    assertThat(codePoints(place.getIdempotencyKey())).isBetween(1, 128);
    assertThat(codePoints(place.getUserId())).isBetween(1, 64);
    assertThat(place.getItemsCount()).isBetween(1, 100);
    for (LineItem item : place.getItemsList()) {
      assertThat(codePoints(item.getSku())).isBetween(1, 64);
      assertThat(item.getQuantity()).isBetween(1, 10_000);
    }
  }

  private static HttpServerRequest request(String contentType, String key) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    if (!contentType.isEmpty()) {
      headers.add(HttpHeaders.CONTENT_TYPE, contentType);
    }
    if (key != null && !key.isEmpty()) {
      headers.add("Idempotency-Key", key);
    }
    return (HttpServerRequest)
        Proxy.newProxyInstance(
            PlaceOrderValidationFuzzTest.class.getClassLoader(),
            new Class<?>[] {HttpServerRequest.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "headers" -> headers;
                  case "getHeader" -> headers.get(String.valueOf(args[0]));
                  case "method" -> HttpMethod.POST;
                  case "path", "uri" -> "/api/v1/orders";
                  default ->
                      throw new UnsupportedOperationException(
                          "the fuzz test's request has no " + method.getName());
                });
  }

  private static boolean decodes(Buffer body) {
    try {
      Json.decodeValue(body);
      return true;
    } catch (DecodeException e) {
      return false;
    }
  }

  private static int indexOf(byte[] input, int from) {
    for (int i = from; i < input.length; i++) {
      if (input[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /** Header values as an HTTP/1.1 server decodes them: one byte, one character. */
  private static String text(byte[] input, int from, int to) {
    return new String(input, from, to - from, ISO_8859_1);
  }

  private static int codePoints(String text) {
    return text.codePointCount(0, text.length());
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
