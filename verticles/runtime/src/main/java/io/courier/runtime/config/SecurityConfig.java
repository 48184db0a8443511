package io.courier.runtime.config;

/**
 * Security between Courier processes.
 *
 * @param mtls mutual TLS on the gRPC servers and clients between services and on the clustered
 *     event bus
 * @param identity how a caller's identity is sealed between services
 * @param production a production deployment: refuses what development allows (mutual TLS off, an
 *     embedded Kafka, development keys, fault injection, an admin server off loopback without a
 *     token, the gateway without tokens, a JWKS over http, its API in cleartext unless behind a
 *     TLS-terminating ingress). A flag, not a profile name: a profile called anything refuses them
 *     when it is set
 */
public record SecurityConfig(MtlsConfig mtls, IdentityConfig identity, boolean production) {
  public static final SecurityConfig DEFAULTS =
      new SecurityConfig(MtlsConfig.DEFAULTS, IdentityConfig.DEFAULTS, false);
}
