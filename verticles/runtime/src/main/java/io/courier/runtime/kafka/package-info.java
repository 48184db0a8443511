/**
 * Publishing Courier events to Kafka without blocking an event loop. The blocking kafka-clients
 * producer runs on its own thread; results come back as Vert.x futures on the caller's context.
 */
package io.courier.runtime.kafka;
