/**
 * The Kafka clients behind {@code EventPublisher} and {@code EventConsumer}: the shared producer on
 * a thread of its own; the consumer's poll loop, commits, per-key dispatch, in-place retries and
 * retry/dead-letter routing; the processed-ids store; and the Kafka bridge verticle.
 */
package io.courier.runtime.kafka.impl;
