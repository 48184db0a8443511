package io.courier.service.impl;

import io.courier.service.CallerIdentity;
import io.courier.service.RequestedVersion;
import io.vertx.core.Future;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.spi.VertxServiceProvider;
import io.vertx.core.spi.context.storage.ContextLocal;

/**
 * Registers the context-local slots of {@link CallerIdentity}, {@link RequestedVersion} and a gRPC
 * call's end before any Vert.x instance exists: Vert.x discovers this provider through {@code
 * META-INF/services} while it is built, which is when it captures the known context locals.
 */
public final class IdentityLocal implements VertxServiceProvider {

  /** The slot a request's duplicated context keeps its caller's identity in. */
  public static final ContextLocal<CallerIdentity> KEY =
      ContextLocal.registerLocal(CallerIdentity.class);

  /** The slot a request's duplicated context keeps the version it asked for in. */
  public static final ContextLocal<RequestedVersion> VERSION =
      ContextLocal.registerLocal(RequestedVersion.class);

  /**
   * The slot a gRPC call's duplicated context keeps the future of its end in: answered, reset by
   * its caller, or its connection closed.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static final ContextLocal<Future<Void>> CALL_ENDED =
      (ContextLocal) ContextLocal.registerLocal(Future.class);

  @Override
  public void init(VertxBootstrap builder) {
    // nothing to configure: loading this class registered KEY, VERSION and CALL_ENDED
  }
}
