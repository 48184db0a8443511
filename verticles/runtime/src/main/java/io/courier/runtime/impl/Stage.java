package io.courier.runtime.impl;

import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * One step of start-up with its undo: the runtime starts stages in order and stops those that
 * started in reverse order.
 *
 * @param name named in logs and in the error when it fails, e.g. {@code role 'gateway'}
 * @param start starts the step
 * @param stop undoes it
 */
public record Stage(String name, Supplier<Future<?>> start, Supplier<Future<?>> stop) {}
