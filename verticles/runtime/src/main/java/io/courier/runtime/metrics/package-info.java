/**
 * A process's meters: the Prometheus registry fed by Vert.x and the JVM ({@code CourierMetrics}),
 * the handle roles get ({@code Meters}), and the Kafka publisher's and consumers' meters.
 */
package io.courier.runtime.metrics;
