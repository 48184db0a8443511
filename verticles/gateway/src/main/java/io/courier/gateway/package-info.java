/**
 * The gateway role: Courier's edge. The REST API (described by {@code openapi/courier-api.yaml},
 * enforced by Vert.x's OpenAPI router, errors as RFC 9457 problems) and the gRPC OrderService call
 * the order service over the event bus and the user and inventory services over gRPC; liveness and
 * readiness are on {@code /health/live} and {@code /health/ready}.
 */
package io.courier.gateway;
