/**
 * The names the reference order flow's contracts travel under: Kafka topics, event-bus addresses
 * and the services' discovery names, next to the types they carry.
 */
package io.courier.codec.flow;
