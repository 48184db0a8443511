/**
 * The payment service: consumes {@code OrderPlaced}, charges the order through a payment provider
 * over HTTP (Vert.x web client, under the provider's resilience policy, with the order id as
 * idempotency key) and publishes {@code PaymentCompleted} or {@code PaymentFailed}. The provider
 * here is a simulated one ({@link io.courier.payment.PaymentProviderVerticle}) with configurable
 * latency, decline rate and error rate.
 */
package io.courier.payment;
