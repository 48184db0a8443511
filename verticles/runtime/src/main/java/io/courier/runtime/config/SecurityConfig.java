package io.courier.runtime.config;

/**
 * Security between Courier processes.
 *
 * @param mtls mutual TLS on the gRPC servers and clients between services and on the clustered
 *     event bus
 * @param identity how a caller's identity is sealed between services
 */
public record SecurityConfig(MtlsConfig mtls, IdentityConfig identity) {
  public static final SecurityConfig DEFAULTS =
      new SecurityConfig(MtlsConfig.DEFAULTS, IdentityConfig.DEFAULTS);
}
