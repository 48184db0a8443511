/**
 * Fault injection for chaos tests: named points in the services that, when an operator turns a
 * fault on through the admin server, answer late or fail. Off unless {@code admin.faultInjection}
 * is true, which production (security.production) refuses.
 */
package io.courier.runtime.chaos;
