/**
 * How a process runs: its Vert.x (clustered or not), the objects it owns for its roles ({@code
 * ProcessServices}), the role contexts, start-up stages, the Kafka stages, the readiness checks
 * every process has, and the management and admin servers.
 */
package io.courier.runtime.impl;
