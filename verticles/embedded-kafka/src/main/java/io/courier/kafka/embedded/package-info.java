/**
 * A real Kafka broker (KRaft, broker and controller in one process) bound to 127.0.0.1, for the dev
 * profile and for tests: alone by default, or one node of a multi-broker cluster with a static
 * controller quorum. It uses Kafka's own server classes at a pinned version; nothing here is a
 * fake.
 */
package io.courier.kafka.embedded;
