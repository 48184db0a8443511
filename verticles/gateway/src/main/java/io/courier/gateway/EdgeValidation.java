package io.courier.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.handler.InputTrustHandler;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestValidatorImpl;
import io.vertx.openapi.validation.impl.ValidatedRequestImpl;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The OpenAPI request validation of the REST edge, on the event loop and with each schema's
 * validator built once. vertx-openapi's own validator (5.0.7) hands every request to a worker
 * thread ({@code executeBlocking}) and builds a new schema validator for every parameter and body
 * of every request; a profile of the order flow put 14 % of the platform's CPU samples on worker
 * threads, most of them building validators (see docs/benchmarks.md). Validation itself is a few
 * microseconds of CPU, so it runs where the request is. The checks, their order and their failures
 * are vertx-openapi's: parameters and body are validated by its {@link RequestValidatorImpl}, whose
 * schema repository is wrapped to hand out each schema's validator from a cache, and a failure
 * fails the route exactly as vertx-web-openapi-router's own validation handler does (400 with the
 * {@link ValidatorException} as cause), so {@link Problems} answers it unchanged.
 *
 * <p>One instance per gateway verticle, used on its event loop only: the cache is not shared.
 * Validators are reusable ({@code SchemaValidatorImpl} keeps no per-call state).
 */
final class EdgeValidation {

  private final OnTheLoop validator;
  private final RequestExtractor extractor;

  /**
   * @param contract the contract the router was built from
   * @param extractor the router's request extractor (forms become the JSON they stand for)
   */
  EdgeValidation(Vertx vertx, OpenAPIContract contract, RequestExtractor extractor) {
    this.validator = new OnTheLoop(vertx, cachingValidators(contract));
    this.extractor = extractor;
  }

  /** The validation handler of {@code operationId}'s route, in place of the router's own. */
  InputTrustHandler handler(String operationId) {
    Operation operation = validator.operation(operationId);
    return routing ->
        extractor
            .extractValidatableRequest(routing, operation)
            .compose(request -> validator.validate(request, operationId))
            .onSuccess(
                validated -> {
                  routing.put(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST, validated);
                  routing.next();
                })
            .onFailure(failure -> fail(routing, failure));
  }

  /** Validates {@code request} as {@code operationId}'s, on this thread (an import's lines). */
  Future<ValidatedRequest> validate(ValidatableRequest request, String operationId) {
    return validator.validate(request, operationId);
  }

  private static void fail(RoutingContext routing, Throwable failure) {
    if (failure instanceof ValidatorException) {
      routing.fail(
          new HttpException(400, failure.getMessage(), failure)); // as the router's own handler
    } else {
      routing.fail(failure);
    }
  }

  /** vertx-openapi's request validation without the hop to a worker thread. */
  private static final class OnTheLoop extends RequestValidatorImpl {

    OnTheLoop(Vertx vertx, OpenAPIContract contract) {
      super(vertx, contract);
    }

    Operation operation(String operationId) {
      Operation operation = contract.operation(operationId);
      if (operation == null) {
        throw new IllegalArgumentException("the contract has no operation " + operationId);
      }
      return operation;
    }

    /** As {@link RequestValidatorImpl#validate(ValidatableRequest, String)}, on this thread. */
    @Override
    public Future<ValidatedRequest> validate(ValidatableRequest request, String operationId) {
      Operation operation = contract.operation(operationId);
      if (operation == null) {
        return super.validate(request, operationId); // fails: the operation is not found
      }
      try {
        Map<String, RequestParameter> cookies = new HashMap<>();
        Map<String, RequestParameter> headers = new HashMap<>();
        Map<String, RequestParameter> path = new HashMap<>();
        Map<String, RequestParameter> query = new HashMap<>();
        for (Parameter parameter : operation.getParameters()) {
          String name = parameter.getName();
          switch (parameter.getIn()) {
            case COOKIE ->
                cookies.put(name, validateParameter(parameter, request.getCookies().get(name)));
            case HEADER ->
                headers.put(name, validateParameter(parameter, request.getHeaders().get(name)));
            case PATH ->
                path.put(name, validateParameter(parameter, request.getPathParameters().get(name)));
            case QUERY ->
                query.put(name, validateParameter(parameter, request.getQuery().get(name)));
          }
        }
        RequestParameter body = validateBody(operation.getRequestBody(), request);
        return Future.succeededFuture(
            new ValidatedRequestImpl(cookies, headers, path, query, body));
      } catch (RuntimeException failure) {
        return Future.failedFuture(failure);
      }
    }
  }

  /**
   * {@code contract} with a schema repository that builds each schema's validator once, by schema
   * identity (the contract's schemas are built once, at start-up); everything else delegates.
   */
  static OpenAPIContract cachingValidators(OpenAPIContract contract) {
    SchemaRepository schemas = contract.getSchemaRepository();
    Map<JsonSchema, Validator> built = new IdentityHashMap<>();
    SchemaRepository caching =
        proxy(
            SchemaRepository.class,
            schemas,
            (method, args) ->
                method.getName().equals("validator")
                        && args.length == 1
                        && args[0] instanceof JsonSchema schema
                    ? built.computeIfAbsent(schema, schemas::validator)
                    : null);
    return proxy(
        OpenAPIContract.class,
        contract,
        (method, args) -> method.getName().equals("getSchemaRepository") ? caching : null);
  }

  @FunctionalInterface
  private interface Answer {
    /** The answer to {@code method}, or null to let the delegate answer. */
    Object answer(java.lang.reflect.Method method, Object[] args);
  }

  private static <T> T proxy(Class<T> type, T delegate, Answer override) {
    return type.cast(
        Proxy.newProxyInstance(
            EdgeValidation.class.getClassLoader(),
            new Class<?>[] {type},
            (self, method, args) -> {
              Object[] arguments = args == null ? new Object[0] : args;
              Object answer = override.answer(method, arguments);
              if (answer != null) {
                return answer;
              }
              try {
                return method.invoke(delegate, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            }));
  }
}
