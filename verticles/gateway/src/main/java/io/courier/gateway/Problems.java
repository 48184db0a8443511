package io.courier.gateway;

import io.courier.service.ServiceError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * RFC 9457 problem bodies for every failure the gateway answers: the OpenAPI validator's (turned
 * into 400 naming the field, or 415), the body limit's 413, unknown paths and methods, and the
 * services' {@link ServiceError}s. A 503 or 429 carries {@code Retry-After} (1 s unless the
 * response already holds one).
 */
final class Problems {

  static final String TYPE_BASE = "https://courier.dev/problems/";
  static final String CONTENT_TYPE = "application/problem+json";

  /**
   * The validator's words for a missing parameter, or one whose value breaks its schema. Anchored:
   * the messages may go on to quote the request (a reason, a value), which must not be read as the
   * validator's own words.
   */
  private static final Pattern PARAM =
      Pattern.compile(
          "^The (?:related request / response does not contain the required|value of)"
              + " (header|path|query|cookie) parameter (\\S+?)(?: is invalid\\.|$)");

  /** The validator's words for a parameter value it cannot read (before any schema check). */
  private static final Pattern UNREADABLE_PARAM =
      Pattern.compile(
          "^The (?:value|formatting of the value) of (header|path|query|cookie) parameter (\\S+)"
              + " (?:can't be decoded\\.$|doesn't match to style)");

  /**
   * What Vert.x's OpenAPI extractor says of a value that is no valid %-encoding (and quotes it).
   */
  private static final String UNDECODABLE_URL_VALUE = "Can't decode URL value";

  private static final Pattern REQUIRED_PROP =
      Pattern.compile("^Instance does not have required property \"(.+)\"$");
  private static final Pattern PROPERTY_WRAPPER =
      Pattern.compile("^Property \".+\" does not match schema$");
  private static final String ADDITIONAL_SUFFIX = "\" does not match additional properties schema";
  private static final Set<String> WRAPPERS =
      Set.of("Items did not match schema", "A sub-schema had errors", "A subschema had errors");

  private Problems() {}

  /** One failing field. */
  record FieldError(String field, String message) {}

  /** A problem to answer with: the error, and for a body against the schema each failing field. */
  record Problem(ServiceError error, List<FieldError> errors) {}

  /** The failure handler of the whole router. */
  static void onFailure(RoutingContext routing) {
    Throwable failure = routing.failure();
    if (failure == null) {
      int status = routing.statusCode() > 0 ? routing.statusCode() : 500;
      send(routing, generic(status), List.of());
      return;
    }
    Problem problem = of(failure);
    send(routing, problem.error(), problem.errors());
  }

  /**
   * The problem a request failure answers with: the OpenAPI validator's failures become 400 naming
   * the parameter or field (or 415), an {@link HttpException} its status, anything else what {@link
   * ServiceError#of} makes of it.
   */
  static Problem of(Throwable failure) {
    Throwable cause = failure;
    if (failure instanceof HttpException http && http.getCause() != null) {
      cause = http.getCause();
    }
    if (cause instanceof SchemaValidationException schema) {
      Matcher param = PARAM.matcher(String.valueOf(schema.getMessage()));
      if (param.find()) {
        return new Problem(
            ServiceError.badField(
                "invalid-" + param.group(1),
                param.group(2),
                param.group(1) + " " + param.group(2) + " is invalid"),
            List.of());
      }
      List<FieldError> errors = bodyErrors(schema.getOutputUnit());
      FieldError first =
          errors.isEmpty()
              ? new FieldError("", "the body does not match the schema")
              : errors.get(0);
      return new Problem(
          ServiceError.badField(
              "invalid-body",
              first.field(),
              (first.field().isEmpty() ? "body" : first.field()) + ": " + first.message()),
          errors);
    }
    if (cause instanceof ValidatorException invalid) {
      String message = String.valueOf(invalid.getMessage());
      Matcher param = PARAM.matcher(message);
      Matcher unreadable = UNREADABLE_PARAM.matcher(message);
      if (message.startsWith(UNDECODABLE_URL_VALUE)) {
        // Vert.x's OpenAPI extractor %-decodes header and path values; it names no parameter.
        return new Problem(
            ServiceError.badField(
                "invalid-parameter",
                "",
                "a header or path parameter is not valid %-encoding (a '%' not followed by two hex"
                    + " digits)"),
            List.of());
      } else if (unreadable.find()) {
        // E.g. an Idempotency-Key holding a '"': the header is at fault, not the body.
        return new Problem(
            ServiceError.badField(
                "invalid-" + unreadable.group(1),
                unreadable.group(2),
                unreadable.group(1) + " " + unreadable.group(2) + " is invalid"),
            List.of());
      } else if (param.find()) {
        return new Problem(
            ServiceError.badField(
                "missing-" + param.group(1),
                param.group(2),
                "the " + param.group(1) + " " + param.group(2) + " is required"),
            List.of());
      } else if (invalid.type() == ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT) {
        return new Problem(
            new ServiceError(
                415, "unsupported-media-type", "the body must be application/json", ""),
            List.of());
      } else if (invalid.type() == ValidatorErrorType.MISSING_REQUIRED_PARAMETER) {
        return new Problem(
            ServiceError.badField("missing-body", "", "a JSON body is required"), List.of());
      } else {
        return new Problem(
            ServiceError.badField(
                "malformed-body", "", "the body is not valid JSON (or nests deeper than 1000)"),
            List.of());
      }
    }
    if (failure instanceof HttpException http) {
      return new Problem(generic(http.getStatusCode()), List.of());
    }
    return new Problem(ServiceError.of(failure), List.of());
  }

  /** 404 and 405 of the router. */
  static void onError(RoutingContext routing) {
    send(routing, generic(routing.statusCode()), List.of());
  }

  static ServiceError generic(int status) {
    return switch (status) {
      case 404 -> ServiceError.notFound("not-found", "no such resource");
      case 405 -> new ServiceError(405, "method-not-allowed", "method not allowed here", "");
      case 413 -> new ServiceError(413, "body-too-large", "the body is larger than allowed", "");
      case 503 -> ServiceError.unavailable("timeout", "the request took too long");
      default -> new ServiceError(status, status >= 500 ? "internal" : "error", "", "");
    };
  }

  static void send(RoutingContext routing, ServiceError error, List<FieldError> errors) {
    if (routing.response().headWritten()) {
      routing.response().reset();
      return;
    }
    JsonObject body =
        new JsonObject()
            .put("type", TYPE_BASE + error.type())
            .put("title", title(error.status()))
            .put("status", error.status());
    if (!error.detail().isEmpty()) {
      body.put("detail", error.detail());
    }
    body.put("instance", routing.request().path());
    if (!error.field().isEmpty()) {
      body.put("field", error.field());
    }
    if (!errors.isEmpty()) {
      JsonArray list = new JsonArray();
      errors.forEach(
          e -> list.add(new JsonObject().put("field", e.field()).put("message", e.message())));
      body.put("errors", list);
    }
    routing.response().setStatusCode(error.status()).putHeader("Content-Type", CONTENT_TYPE);
    if ((error.status() == 503 || error.status() == 429)
        && !routing.response().headers().contains("Retry-After")) {
      routing.response().putHeader("Retry-After", "1");
    }
    routing.response().end(body.encode());
  }

  private static List<FieldError> bodyErrors(OutputUnit unit) {
    if (unit == null) {
      return List.of();
    }
    List<OutputUnit> all =
        unit.getErrors() == null || unit.getErrors().isEmpty() ? List.of(unit) : unit.getErrors();
    // With additionalProperties false, a declared property failing its own schema is also
    // reported as an additional property; drop those.
    Set<String> declaredButInvalid = new HashSet<>();
    for (OutputUnit error : all) {
      if (error.getError() != null && PROPERTY_WRAPPER.matcher(error.getError()).matches()) {
        declaredButInvalid.add(error.getInstanceLocation());
      }
    }
    Map<String, FieldError> found = new LinkedHashMap<>();
    for (OutputUnit error : all) {
      String text = error.getError() == null ? "invalid" : error.getError();
      if (PROPERTY_WRAPPER.matcher(text).matches() || WRAPPERS.contains(text)) {
        continue;
      }
      if (text.endsWith(ADDITIONAL_SUFFIX)
          && declaredButInvalid.contains(error.getInstanceLocation())) {
        continue;
      }
      String field = pointer(error.getInstanceLocation());
      Matcher required = REQUIRED_PROP.matcher(text);
      if (required.matches()) {
        field = field.isEmpty() ? required.group(1) : field + "/" + required.group(1);
        text = "is required";
      }
      if (text.endsWith(ADDITIONAL_SUFFIX)) {
        text = "unknown property";
      }
      found.putIfAbsent(field, new FieldError(field, text));
    }
    return new ArrayList<>(found.values());
  }

  private static String pointer(String location) {
    return location == null ? "" : location.replaceFirst("^#?/?", "");
  }

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 429 -> "Too Many Requests";
      case 503 -> "Service Unavailable";
      default -> status >= 500 ? "Internal Server Error" : "Error";
    };
  }
}
