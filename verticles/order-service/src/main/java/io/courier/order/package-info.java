/**
 * The order service: places orders (user checked over gRPC, stock reserved over gRPC, the order
 * written to Kafka before it is acknowledged), answers order reads on the event bus, and runs the
 * saga's order side: a completed payment confirms the order, a failed one releases its stock and
 * cancels it. Orders live in the compacted {@code courier.orders} topic and are rebuilt from it on
 * start.
 */
package io.courier.order;
