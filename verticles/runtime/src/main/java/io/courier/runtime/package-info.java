/**
 * The Courier runtime: a process runs the {@link io.courier.runtime.Role}s named in its
 * configuration on one (optionally clustered) Vert.x instance. {@link
 * io.courier.runtime.CourierRuntime} starts them as one chain of futures and stops them in reverse
 * order within a drain deadline.
 */
package io.courier.runtime;
