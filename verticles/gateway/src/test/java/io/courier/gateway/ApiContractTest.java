package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.SecurityRequirement;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The public OpenAPI document and the copy of it the router is built from: what the document says
 * must be what the gateway is configured to do, and the router's copy may differ only where
 * vertx-openapi cannot read it (media types of responses).
 */
@DisplayName("The REST API's contract")
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ApiContractTest {

  private static Vertx vertx;
  private static JsonObject document;
  private static OpenAPIContract contract;

  @BeforeAll
  static void load() throws Exception {
    vertx = Vertx.vertx();
    try (InputStream in =
        ApiContractTest.class.getClassLoader().getResourceAsStream(ApiContract.PATH)) {
      document = ApiContract.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    contract = ApiContract.load(vertx).await(20, TimeUnit.SECONDS);
  }

  @AfterAll
  static void close() {
    vertx.close().await();
  }

  @Test
  @DisplayName("declares every problem as application/problem+json, what the gateway sends")
  void shouldDeclareProblemsAsProblemJson() {
    JsonObject responses = document.getJsonObject("components").getJsonObject("responses");
    for (String name : responses.fieldNames()) {
      JsonObject content = responses.getJsonObject(name).getJsonObject("content");
      if (content != null) {
        assertThat(content.fieldNames()).as(name).containsExactly(Problems.CONTENT_TYPE);
      }
    }
  }

  @Test
  @DisplayName(
      "hands the router the document with its +json response media types renamed and its form"
          + " bodies left out")
  void shouldRenameOnlyResponseMediaTypesForTheRouter() {
    JsonObject copy = ApiContract.forRouter(document);

    JsonObject placeOrder = operation(copy, "/api/v1/orders", "post");
    JsonObject original = operation(document, "/api/v1/orders", "post");
    JsonObject withoutForm = original.getJsonObject("requestBody").copy();
    assertThat(withoutForm.getJsonObject("content").remove(FormBodies.FORM)).isNotNull();
    assertThat(placeOrder.getJsonObject("requestBody")).isEqualTo(withoutForm);
    assertThat(operation(copy, OrderImport.PATH, "post").getJsonObject("requestBody"))
        .isEqualTo(operation(document, OrderImport.PATH, "post").getJsonObject("requestBody"));
    assertThat(placeOrder.getJsonArray("parameters"))
        .isEqualTo(original.getJsonArray("parameters"));
    JsonObject badRequest =
        copy.getJsonObject("components").getJsonObject("responses").getJsonObject("BadRequest");
    assertThat(badRequest.getJsonObject("content").fieldNames())
        .containsExactly("application/json");
    assertThat(badRequest.getJsonObject("content").getJsonObject("application/json"))
        .isEqualTo(
            document
                .getJsonObject("components")
                .getJsonObject("responses")
                .getJsonObject("BadRequest")
                .getJsonObject("content")
                .getJsonObject(Problems.CONTENT_TYPE));
  }

  @Test
  @DisplayName("has exactly the operations the gateway configures")
  void shouldHaveTheConfiguredOperations() {
    assertThat(contract.operations().stream().map(Operation::getOperationId))
        .containsExactlyInAnyOrderElementsOf(GatewayConfig.OPERATIONS);
  }

  @Test
  @DisplayName("requires of each operation the scope gateway.auth.scopes gives it by default")
  void shouldRequireTheDefaultScopes() {
    Map<String, String> declared = new TreeMap<>();
    for (Operation operation : contract.operations()) {
      List<SecurityRequirement> security = operation.getSecurityRequirements();
      assertThat(security).as(operation.getOperationId()).hasSize(1);
      assertThat(security.get(0).getNames()).containsExactly("bearer");
      List<String> scopes = security.get(0).getScopes("bearer");
      assertThat(scopes).as(operation.getOperationId()).hasSizeLessThanOrEqualTo(1);
      declared.put(operation.getOperationId(), scopes.isEmpty() ? "" : scopes.get(0));
    }

    assertThat(declared).isEqualTo(new TreeMap<>(GatewayConfig.AuthConfig.DEFAULTS.scopes()));
  }

  private static JsonObject operation(JsonObject document, String path, String method) {
    return document.getJsonObject("paths").getJsonObject(path).getJsonObject(method);
  }
}
