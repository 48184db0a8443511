/**
 * The inventory service: stock per SKU (seeded from {@code conf/}) and reservations per order,
 * idempotent per order id, served over gRPC ({@code courier.v1.InventoryService}). Every change is
 * a record in a compacted Kafka topic, written before it is answered, and the state is rebuilt from
 * that topic on start.
 */
package io.courier.inventory;
