package io.courier.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The REST API's OpenAPI document ({@value #PATH}) as Vert.x's OpenAPI router takes it.
 *
 * <p>The document is the public contract and says what the gateway sends: problems as {@code
 * application/problem+json}. vertx-openapi 5.0.7 refuses a contract whose responses name a media
 * type outside its short list ({@link MediaType#isMediaTypeSupported}), although the gateway
 * validates no response. So the router gets a copy of the document in which each response media
 * type it would refuse and that is JSON ({@code +json}) is named {@code application/json}, and
 * {@code text/event-stream} {@code text/plain}. Nothing else changes but one: a request body's
 * {@code application/x-www-form-urlencoded}, which the validator cannot read, is left out and
 * {@link FormBodies} turns such a body into the JSON it stands for before the validator sees it.
 * Parameters and the other media types are handed over as written.
 */
final class ApiContract {

  /** The OpenAPI document, on the classpath. */
  static final String PATH = "openapi/courier-api.yaml";

  private static final String JSON_SUFFIX = "+json";

  private static final String EVENT_STREAM = "text/event-stream";

  private static final String TEXT_PLAIN = "text/plain";

  private ApiContract() {}

  /** The contract the router and the rate limiter are built from. */
  static Future<OpenAPIContract> load(Vertx vertx) {
    return vertx
        .fileSystem()
        .readFile(PATH)
        .map(buffer -> forRouter(parse(buffer.toString(StandardCharsets.UTF_8))))
        .compose(document -> OpenAPIContract.from(vertx, document));
  }

  /** The document as JSON; YAML's safe subset only (no tags, no objects). */
  static JsonObject parse(String yaml) {
    Object document = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    if (!(document instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(PATH + " is not a YAML mapping");
    }
    return new JsonObject(stringKeys(map));
  }

  /**
   * A copy of {@code document} whose response media types the router accepts: every response of
   * every operation and of {@code components.responses}.
   */
  static JsonObject forRouter(JsonObject document) {
    JsonObject copy = document.copy();
    JsonObject paths = copy.getJsonObject("paths", new JsonObject());
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (item.getValue(method) instanceof JsonObject operation) {
          renameMediaTypes(operation.getJsonObject("responses"));
          dropForms(operation.getJsonObject("requestBody"));
        }
      }
    }
    JsonObject components = copy.getJsonObject("components");
    if (components != null) {
      renameMediaTypes(components.getJsonObject("responses"));
    }
    return copy;
  }

  /**
   * Removes {@value FormBodies#FORM} from a request body: vertx-openapi 5.0.7 refuses a contract
   * that names it, and {@link FormBodies} hands the validator such a body as the JSON it stands
   * for.
   */
  private static void dropForms(JsonObject requestBody) {
    JsonObject content = requestBody == null ? null : requestBody.getJsonObject("content");
    if (content != null) {
      content.remove(FormBodies.FORM);
    }
  }

  private static void renameMediaTypes(JsonObject responses) {
    if (responses == null) {
      return;
    }
    for (String status : responses.fieldNames()) {
      JsonObject content =
          responses.getValue(status) instanceof JsonObject response
              ? response.getJsonObject("content")
              : null;
      if (content == null) {
        continue;
      }
      for (String type : List.copyOf(content.fieldNames())) {
        if (!MediaType.isMediaTypeSupported(type)
            && type.endsWith(JSON_SUFFIX)
            && !content.containsKey(MediaType.APPLICATION_JSON)) {
          content.put(MediaType.APPLICATION_JSON, content.remove(type));
        } else if (EVENT_STREAM.equals(type) && !content.containsKey(TEXT_PLAIN)) {
          // Server-Sent Events (OrderEventsSse): text the router does not validate either.
          content.put(TEXT_PLAIN, content.remove(type));
        }
      }
    }
  }

  /** YAML keys may be numbers; JSON's are strings. */
  private static Map<String, Object> stringKeys(Map<?, ?> yaml) {
    Map<String, Object> json = new LinkedHashMap<>();
    yaml.forEach(
        (key, value) ->
            json.put(
                String.valueOf(key),
                value instanceof Map<?, ?> nested
                    ? stringKeys(nested)
                    : value instanceof List<?> list ? stringKeys(list) : value));
    return json;
  }

  private static List<Object> stringKeys(List<?> yaml) {
    return yaml.stream()
        .map(
            value ->
                value instanceof Map<?, ?> nested
                    ? (Object) stringKeys(nested)
                    : value instanceof List<?> list ? stringKeys(list) : value)
        .toList();
  }
}
