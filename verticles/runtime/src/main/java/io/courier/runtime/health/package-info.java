/**
 * Health of a Courier process: the readiness checks its parts register while they run, behind
 * {@code /health/ready} of the management server.
 */
package io.courier.runtime.health;
