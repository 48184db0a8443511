/**
 * OpenTelemetry tracing of a process: the SDK Vert.x traces HTTP, gRPC and the event bus with
 * ({@code CourierTracing}), trace context through Kafka record headers ({@code KafkaTracing}), and
 * credentials kept out of spans ({@code UrlRedaction}).
 */
package io.courier.runtime.tracing;
