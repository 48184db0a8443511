/**
 * Internals of the service kit: what happens to a gRPC call before its service sees it ({@code
 * GrpcAdmission}), gRPC's own wire encodings ({@code GrpcWire}), and the context-local that carries
 * a caller's identity.
 */
package io.courier.service.impl;
