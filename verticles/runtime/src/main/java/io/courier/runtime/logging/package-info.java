/** Log lines that carry the trace id and the process's roles, through SLF4J's MDC. */
package io.courier.runtime.logging;
