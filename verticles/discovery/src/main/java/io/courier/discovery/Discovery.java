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

  /** Releases the backend's resources. */
  void close();
}
