/**
 * Resilience between callers and callees. {@link io.courier.resilience.FailureClassifier} sorts
 * every failure (event bus, gRPC, HTTP, exceptions) into one {@link
 * io.courier.resilience.FailureClass}, which decides retries; {@link
 * io.courier.resilience.ResilientCall} runs a call with per-attempt timeouts, an overall {@link
 * io.courier.resilience.Deadline}, and retries with full-jitter back-off limited by a {@link
 * io.courier.resilience.RetryBudget}; a {@link io.courier.resilience.Bulkhead} bounds concurrent
 * calls per target with a fixed or latency-adaptive {@link io.courier.resilience.ConcurrencyLimit}.
 */
package io.courier.resilience;
