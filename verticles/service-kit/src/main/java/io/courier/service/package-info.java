/**
 * What services built on the platform share: one error shape across the event bus, gRPC and HTTP
 * ({@link io.courier.service.ServiceError}), gRPC services started and registered in one step
 * ({@link io.courier.service.GrpcEndpoint}), peers found through discovery and called under a
 * resilience policy ({@link io.courier.service.GrpcPeer}, {@link io.courier.service.HttpPeer}), the
 * caller's identity ({@link io.courier.service.CallerIdentity}), and state kept in compacted Kafka
 * topics ({@link io.courier.service.StateTopics}).
 */
package io.courier.service;
