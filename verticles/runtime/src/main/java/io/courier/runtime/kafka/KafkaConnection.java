package io.courier.runtime.kafka;

import io.courier.runtime.config.KafkaSecurityConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where the process's Kafka clients connect and how: the bootstrap servers in use (the embedded
 * broker's when it runs) and the {@code kafka.security} settings. Every client Courier makes (the
 * publisher, consumers, owners, admin clients, the command line's) starts from {@link
 * #properties()}.
 *
 * @param bootstrapServers {@code host:port,...}
 * @param security TLS and SASL settings
 */
public record KafkaConnection(String bootstrapServers, KafkaSecurityConfig security) {

  public KafkaConnection {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(security, "security");
  }

  /** A PLAINTEXT connection: the embedded broker's, and tests'. */
  public static KafkaConnection plaintext(String bootstrapServers) {
    return new KafkaConnection(bootstrapServers, KafkaSecurityConfig.DEFAULTS);
  }

  /**
   * The bootstrap servers and the security settings as client properties, to which a client adds
   * its own (blocking when TLS files are configured: call it where the client is created, off the
   * event loop).
   */
  public Map<String, Object> properties() {
    Map<String, Object> props = new LinkedHashMap<>(security.clientProperties());
    props.put("bootstrap.servers", bootstrapServers);
    return props;
  }
}
