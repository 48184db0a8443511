/**
 * A real single-node Kafka broker (KRaft, broker and controller in one process) bound to 127.0.0.1,
 * for the dev profile and for tests. It uses Kafka's own server classes at a pinned version;
 * nothing here is a fake.
 */
package io.courier.kafka.embedded;
