package io.courier.discovery;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Consumer;

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
  Watch watch(String name, Consumer<List<ServiceInstance>> handler);

  /**
   * Asks the backend whether registrations and lookups can work now (Consul: whether the agent
   * reports a leader; the embedded registry: whether it can be read), within {@code timeoutMs}.
   * Succeeds with what it found, for a readiness check's data; fails with the reason.
   */
  Future<JsonObject> probe(long timeoutMs);

  /** Where the backend is, for readiness data and logs, e.g. {@code {"consul": "host:8500"}}. */
  JsonObject describe();

  /** A running {@link #watch}. */
  interface Watch extends AutoCloseable {
    /** Stops watching; the handler is not called again. */
    @Override
    void close();
  }

  /**
   * How long, at most, until every watcher has seen a registration change: a stopping process
   * deregisters, waits this long, and only then closes its listeners, so no caller still lists it
   * when its port starts refusing. 0 for a backend whose watchers are told at once.
   */
  default long propagationMs() {
    return 0;
  }

  /** Releases the backend's resources (and stops its watches). */
  void close();
}
