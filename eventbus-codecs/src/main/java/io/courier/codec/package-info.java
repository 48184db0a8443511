/**
 * Courier's contracts on the wire. {@link io.courier.codec.ContractTypes} knows every generated
 * protobuf type of the contract, {@link io.courier.codec.CourierCodecs} registers one event-bus
 * codec per type with a fixed wire name, and {@link io.courier.codec.Event} is the envelope a
 * domain event travels in.
 */
package io.courier.codec;
