package io.courier.runtime;

import io.courier.discovery.ServiceInstance;
import io.vertx.core.Future;

/** An endpoint registered in discovery through {@link RoleContext#register}. */
public interface ServiceRegistration {

  /** The instance as registered: its id, address and tags. */
  ServiceInstance instance();

  /** Takes the endpoint out of discovery; completes at once when it already is. */
  Future<Void> deregister();
}
