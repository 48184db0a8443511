/**
 * What the reference order flow's services share: the names of topics, addresses and services
 * ({@link io.courier.service.Topology}), one error shape across the event bus, gRPC and HTTP
 * ({@link io.courier.service.ServiceError}), gRPC peers found through discovery and called under a
 * resilience policy ({@link io.courier.service.GrpcPeer}), and state kept in compacted Kafka topics
 * ({@link io.courier.service.StateTopics}).
 */
package io.courier.service;
