package io.courier.resilience;

/** The one classification of call failures; it decides retry, breaker accounting and metrics. */
public enum FailureClass {
  /** The callee could not be reached: refused or reset connection, no handler, bad gateway. */
  NETWORK,
  /** TLS handshake or certificate failure: retrying will not fix it. */
  TLS,
  /** No answer in time: an attempt timeout, the event bus' reply timeout, a gRPC deadline. */
  TIMEOUT,
  /** The callee, or our own protection, refused for load: 429, breaker open, bulkhead full. */
  OVERLOAD,
  /** The request is wrong: 4xx, INVALID_ARGUMENT, a business refusal. Never retried. */
  CLIENT_ERROR,
  /** The callee failed: 5xx, INTERNAL, any unexpected exception. */
  SERVER_ERROR
}
