/** Readiness over Vert.x health checks, each registration under a name of its own. */
package io.courier.runtime.health.impl;
