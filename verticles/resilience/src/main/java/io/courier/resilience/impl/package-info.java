/**
 * Internals of the resilience layer: the call bookkeeping the breaker, bulkhead and retries share,
 * rolling counters, and the concurrency-limit algorithms behind {@code ConcurrencyLimit}.
 */
package io.courier.resilience.impl;
