package io.courier.gateway;

import static io.vertx.openapi.validation.SchemaValidationException.createInvalidValueParameter;
import static io.vertx.openapi.validation.ValidatorErrorType.ILLEGAL_VALUE;
import static io.vertx.openapi.validation.ValidatorErrorType.INVALID_VALUE;
import static io.vertx.openapi.validation.ValidatorErrorType.INVALID_VALUE_FORMAT;
import static io.vertx.openapi.validation.ValidatorErrorType.MISSING_REQUIRED_PARAMETER;
import static java.util.stream.Collectors.toSet;

import io.courier.service.ServiceError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 9457 problem bodies for every failure the gateway answers: the OpenAPI validator's (turned
 * into 400 naming the field, or 415), the body limit's 413, unknown paths and methods, and the
 * services' {@link ServiceError}s. A 503 or 429 carries {@code Retry-After} (1 s unless the
 * response already holds one).
 *
 * <p>A validator failure is decided from what vertx-openapi hands over as data, not by parsing its
 * messages: the {@link ValidatorErrorType}, the contract {@link Parameter} the failure was made
 * for, the cause, and for a body against its schema the {@link OutputUnit}s' keyword and instance
 * locations. The one detail read from words is the property a {@code required} unit misses, which
 * vertx-json-schema gives nowhere else ({@link #requiredProperty}). One instance serves one
 * contract, whose parameters it knows.
 */
final class Problems {

  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);

  static final String TYPE_BASE = "https://courier.dev/problems/";
  static final String CONTENT_TYPE = "application/problem+json";

  /**
   * Schema keywords whose unit only says that a unit nested under it failed ("Property ... does not
   * match schema", "Items did not match schema", "A subschema had errors"); the nested unit names
   * the field and what is wrong with it.
   */
  private static final Set<String> WRAPPERS =
      Set.of("properties", "items", "prefixItems", "$ref", "$dynamicRef", "$recursiveRef");

  /**
   * The validator's factories for a parameter failure that carries nothing but the parameter. A
   * {@link ValidatorException} keeps no reference to its {@link Parameter} and has no accessor for
   * its name or location; the factory's message is the only trace. So the parameter is recognised
   * by asking the same factory for each parameter of the contract and comparing the whole message:
   * nothing is parsed, and a reworded message changes both sides alike. ({@code
   * createUnsupportedValueFormat}, a parameter style the validator cannot read, is the contract's
   * fault and left to the 415 of an unsupported body as before; this contract has none.)
   */
  private static final Map<ValidatorErrorType, Function<Parameter, ValidatorException>>
      PARAMETER_FAILURES =
          Map.of(
              MISSING_REQUIRED_PARAMETER, ValidatorException::createMissingRequiredParameter,
              ILLEGAL_VALUE, ValidatorException::createCantDecodeValue,
              INVALID_VALUE_FORMAT, ValidatorException::createInvalidValueFormat);

  private final List<Parameter> parameters;
  private final Map<ValidatorErrorType, Map<String, Parameter>> parameterByMessage;

  /** The problems for requests against {@code contract}. */
  Problems(OpenAPIContract contract) {
    List<Parameter> all = new ArrayList<>();
    Map<ValidatorErrorType, Map<String, Parameter>> byMessage =
        new EnumMap<>(ValidatorErrorType.class);
    for (Operation operation : contract.operations()) {
      for (Parameter parameter : operation.getParameters()) {
        all.add(parameter);
        // Two operations' parameters with the same name and location give the same message.
        PARAMETER_FAILURES.forEach(
            (type, factory) ->
                byMessage
                    .computeIfAbsent(type, t -> new HashMap<>())
                    .putIfAbsent(factory.apply(parameter).getMessage(), parameter));
      }
    }
    parameters = List.copyOf(all);
    parameterByMessage = byMessage;
  }

  /** One failing field. */
  record FieldError(String field, String message) {}

  /** A problem to answer with: the error, and for a body against the schema each failing field. */
  record Problem(ServiceError error, List<FieldError> errors) {}

  /** The failure handler of the whole router. */
  void onFailure(RoutingContext routing) {
    Throwable failure = routing.failure();
    if (failure == null) {
      int status = routing.statusCode() > 0 ? routing.statusCode() : 500;
      send(routing, generic(status), List.of());
      return;
    }
    if (routing.statusCode() == 400 && undecodable(failure)) {
      // BodyHandler's refusal of a form or multipart body its decoder could not read.
      send(
          routing,
          ServiceError.badField(
              "malformed-body",
              "",
              "the body is not valid " + mediaType(routing) + " (its decoder refused it)"),
          List.of());
      return;
    }
    if (routing.statusCode() == 413) {
      send(routing, generic(413), List.of());
      return;
    }
    Problem problem = of(failure);
    send(routing, problem.error(), problem.errors());
  }

  /** Whether a failure is none of ours nor the validator's: a body decoder's. */
  private static boolean undecodable(Throwable failure) {
    return !(failure instanceof HttpException)
        && !(failure instanceof ValidatorException)
        && !(failure instanceof ServiceError.Failure);
  }

  private static String mediaType(RoutingContext routing) {
    String type = routing.request().getHeader("Content-Type");
    if (type == null) {
      return "body";
    }
    int semicolon = type.indexOf(';');
    String bare = (semicolon < 0 ? type : type.substring(0, semicolon)).trim();
    return bare.length() > 64 ? bare.substring(0, 64) : bare;
  }

  /**
   * The problem a request failure answers with: the OpenAPI validator's failures become 400 naming
   * the parameter or field (or 415), an {@link HttpException} its status, anything else what {@link
   * ServiceError#of} makes of it.
   */
  Problem of(Throwable failure) {
    Throwable cause = failure;
    if (failure instanceof HttpException http && http.getCause() != null) {
      cause = http.getCause();
    }
    if (cause instanceof ValidatorException invalid) {
      return refused(invalid);
    }
    if (cause instanceof ServiceError.Failure refusal) {
      // A request extractor's own refusal ({@link FormBodies}), passed on by the router.
      return new Problem(refusal.error(), List.of());
    }
    if (failure instanceof HttpException http) {
      return new Problem(generic(http.getStatusCode()), List.of());
    }
    return new Problem(ServiceError.of(failure), List.of());
  }

  /** What a failure of the validator (or of the router's extraction before it) answers. */
  private Problem refused(ValidatorException invalid) {
    Optional<Parameter> parameter = parameter(invalid);
    if (parameter.isPresent()) {
      String in = parameter.get().getIn().name().toLowerCase(Locale.ROOT);
      String name = parameter.get().getName();
      if (invalid.type() == MISSING_REQUIRED_PARAMETER) {
        return only(
            ServiceError.badField(
                "missing-" + in, name, "the " + in + " " + name + " is required"));
      }
      // Its value cannot be decoded, breaks its style, or breaks its schema.
      return only(ServiceError.badField("invalid-" + in, name, in + " " + name + " is invalid"));
    }
    if (invalid instanceof SchemaValidationException schema) {
      return body(schema.getOutputUnit());
    }
    return switch (invalid.type()) {
      // RequestUtils.decodeUrl %-decodes header and path values before the validator runs; its
      // failure names no parameter, and only its cause (URLDecoder's) tells it from a body that is
      // no JSON, which has none.
      case ILLEGAL_VALUE ->
          invalid.getCause() instanceof IllegalArgumentException
              ? only(
                  ServiceError.badField(
                      "invalid-parameter",
                      "",
                      "a header or path parameter is not valid %-encoding (a '%' not followed by"
                          + " two hex digits)"))
              : malformedBody();
      case UNSUPPORTED_VALUE_FORMAT ->
          only(
              new ServiceError(
                  415,
                  "unsupported-media-type",
                  "the body must be application/json or application/x-www-form-urlencoded",
                  ""));
      // No parameter of the contract is missing, so the body is.
      case MISSING_REQUIRED_PARAMETER ->
          only(ServiceError.badField("missing-body", "", "a JSON body is required"));
      default -> malformedBody();
    };
  }

  /** The contract parameter a failure was made for, if it was made for one. */
  private Optional<Parameter> parameter(ValidatorException invalid) {
    String message = invalid.getMessage();
    if (invalid instanceof SchemaValidationException schema) {
      // The message quotes the unit's reason; ask the factory with the same unit.
      OutputUnit unit = schema.getOutputUnit();
      if (invalid.type() != INVALID_VALUE
          || unit == null
          || unit.getErrors() == null
          || unit.getErrors().isEmpty()) {
        return Optional.empty();
      }
      return parameters.stream()
          .filter(p -> createInvalidValueParameter(p, unit, null).getMessage().equals(message))
          .findFirst();
    }
    return Optional.ofNullable(
        parameterByMessage.getOrDefault(invalid.type(), Map.of()).get(message));
  }

  private static Problem body(OutputUnit unit) {
    List<FieldError> errors = bodyErrors(unit);
    FieldError first =
        errors.isEmpty() ? new FieldError("", "the body does not match the schema") : errors.get(0);
    return new Problem(
        ServiceError.badField(
            "invalid-body",
            first.field(),
            (first.field().isEmpty() ? "body" : first.field()) + ": " + first.message()),
        errors);
  }

  private static Problem malformedBody() {
    return only(
        ServiceError.badField(
            "malformed-body", "", "the body is not valid JSON (or nests deeper than 1000)"));
  }

  private static Problem only(ServiceError error) {
    return new Problem(error, List.of());
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

  /**
   * What a caller outside the platform may see of {@code error}: a 500's detail (an exception's
   * class and message, an internal address) is logged with a reference and replaced by that
   * reference; every other error as it is.
   */
  static ServiceError forCaller(ServiceError error, String what) {
    if (error.status() < 500 || error.status() == 503 || error.status() == 504) {
      return error;
    }
    String reference = UUID.randomUUID().toString();
    LOG.error("{} answered {} (reference {}): {}", what, error.status(), reference, error.detail());
    return new ServiceError(
        error.status(), "internal", "internal error; reference " + reference, "");
  }

  static void send(RoutingContext routing, ServiceError error, List<FieldError> errors) {
    if (routing.response().headWritten()) {
      routing.response().reset();
      return;
    }
    error = forCaller(error, routing.request().method() + " " + routing.request().path());
    JsonObject body = json(error, errors, routing.request().path());
    routing.response().setStatusCode(error.status()).putHeader("Content-Type", CONTENT_TYPE);
    if ((error.status() == 503 || error.status() == 429)
        && !routing.response().headers().contains("Retry-After")) {
      routing.response().putHeader("Retry-After", "1");
    }
    routing.response().end(body.encode());
  }

  /**
   * The problem's body for {@code error} (already {@link #forCaller} checked) at {@code instance}.
   */
  static JsonObject json(ServiceError error, List<FieldError> errors, String instance) {
    JsonObject body =
        new JsonObject()
            .put("type", TYPE_BASE + error.type())
            .put("title", title(error.status()))
            .put("status", error.status());
    if (!error.detail().isEmpty()) {
      body.put("detail", error.detail());
    }
    body.put("instance", instance);
    if (!error.field().isEmpty()) {
      body.put("field", error.field());
    }
    if (!errors.isEmpty()) {
      JsonArray list = new JsonArray();
      errors.forEach(
          e -> list.add(new JsonObject().put("field", e.field()).put("message", e.message())));
      body.put("errors", list);
    }
    return body;
  }

  /**
   * One error per failing field, in the validator's order, each decided by its unit's keyword (the
   * last segment of its keyword location) at its instance location. The message of a keyword this
   * does not word itself is the unit's own sentence, passed on for people and read by nothing.
   */
  private static List<FieldError> bodyErrors(OutputUnit unit) {
    if (unit == null) {
      return List.of();
    }
    List<OutputUnit> all =
        unit.getErrors() == null || unit.getErrors().isEmpty() ? List.of(unit) : unit.getErrors();
    // With additionalProperties false, a declared property failing its own schema is also
    // reported as an additional property; drop those.
    Set<String> declaredButInvalid =
        all.stream()
            .filter(error -> keyword(error).equals("properties"))
            .map(OutputUnit::getInstanceLocation)
            .collect(toSet());
    Map<String, FieldError> found = new LinkedHashMap<>();
    for (OutputUnit error : all) {
      String keyword = keyword(error);
      if (WRAPPERS.contains(keyword)
          || keyword.equals("additionalProperties")
              && declaredButInvalid.contains(error.getInstanceLocation())) {
        continue;
      }
      FieldError field = fieldError(keyword, error);
      found.putIfAbsent(field.field(), field);
    }
    return new ArrayList<>(found.values());
  }

  /** The field a unit of {@code keyword} names, and what it says of it. */
  private static FieldError fieldError(String keyword, OutputUnit unit) {
    String field = pointer(unit.getInstanceLocation());
    String missing = keyword.equals("required") ? requiredProperty(unit) : null;
    if (missing != null) {
      // The unit stands at the object that lacks the property.
      return new FieldError(field.isEmpty() ? missing : field + "/" + missing, "is required");
    }
    if (keyword.equals("additionalProperties")) {
      return new FieldError(field, "unknown property");
    }
    return new FieldError(field, unit.getError() == null ? "invalid" : unit.getError());
  }

  /** The schema keyword a unit reports on: the last segment of its keyword location. */
  private static String keyword(OutputUnit unit) {
    String location = unit.getKeywordLocation();
    return location == null ? "" : location.substring(location.lastIndexOf('/') + 1);
  }

  /**
   * The property a {@code required} unit misses, or null. vertx-json-schema gives it in the unit's
   * error text only ({@code Instance does not have required property "sku"}): the unit's instance
   * location is the object that lacks it and an OutputUnit carries no other data. So this reads the
   * one detail it must, as narrowly as it can: the text between the first and the last double
   * quote, taken from a unit already known by its keyword to be {@code required} (the name comes
   * from the contract, never from the request). {@code ProblemsTest} pins the wording.
   */
  private static String requiredProperty(OutputUnit unit) {
    String text = unit.getError();
    int open = text == null ? -1 : text.indexOf('"');
    int close = text == null ? -1 : text.lastIndexOf('"');
    return open < 0 || close <= open + 1 ? null : text.substring(open + 1, close);
  }

  /**
   * A unit's instance location ({@code #/items/0}) as the problem names a field ({@code items/0}).
   */
  private static String pointer(String location) {
    if (location == null) {
      return "";
    }
    String pointer = location.startsWith("#") ? location.substring(1) : location;
    return pointer.startsWith("/") ? pointer.substring(1) : pointer;
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
