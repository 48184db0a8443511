package io.courier.runtime.config;

/**
 * Security between Courier processes.
 *
 * @param mtls mutual TLS on the gRPC servers and clients between services and on the clustered
 *     event bus
 */
public record SecurityConfig(MtlsConfig mtls) {
  public static final SecurityConfig DEFAULTS = new SecurityConfig(MtlsConfig.DEFAULTS);
}
