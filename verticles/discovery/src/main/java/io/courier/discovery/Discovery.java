package io.courier.discovery;

import io.vertx.core.Future;
import java.util.List;

/** Registers this process's endpoints and resolves other services' instances by name. */
public interface Discovery {

  /** Registers an instance; the result carries the registration id to deregister with. */
  Future<ServiceInstance> register(ServiceInstance instance);

  /** Removes a registration. */
  Future<Void> deregister(String registrationId);

  /** The instances of {@code name} that are up. */
  Future<List<ServiceInstance>> resolve(String name);

  /**
   * Calls {@code handler} with the instances of {@code name} that are up, now and after every
   * change, on the caller's context, until the returned watch is closed. Like {@link #resolve}, a
   * backend that fails or answers nonsense does not clear what the handler last got.
   */
  Watch watch(String name, java.util.function.Consumer<List<ServiceInstance>> handler);

  /** A running {@link #watch}. */
  interface Watch extends AutoCloseable {
    /** Stops watching; the handler is not called again. */
    @Override
    void close();
  }

  /** Releases the backend's resources (and stops its watches). */
  void close();
}
