/**
 * The gateway role: Courier's HTTP edge. It serves liveness and readiness on {@code /health/live}
 * and {@code /health/ready} and, as the platform grows, the REST API in front of the services.
 */
package io.courier.gateway;
