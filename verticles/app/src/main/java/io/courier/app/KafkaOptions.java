package io.courier.app;

import io.courier.runtime.config.KafkaConfig;
import io.courier.runtime.kafka.KafkaConnection;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where the Kafka commands connect: an explicit address, or the configuration's. */
final class KafkaOptions {

  @Option(
      names = {"-b", "--bootstrap-servers"},
      paramLabel = "HOST:PORT",
      description =
          "Kafka brokers. Default: the configuration's kafka.bootstrapServers, or the embedded"
              + " broker's address when kafka.embedded is enabled.")
  String bootstrapServers;

  @Mixin ConfigOptions config;

  /**
   * Where and how to connect: {@code --bootstrap-servers} or the configuration's servers (the
   * embedded broker's when enabled), with the configuration's {@code kafka.security} (TLS, SASL);
   * plaintext when only an address is given and there is no configuration file.
   */
  KafkaConnection connection() {
    if (bootstrapServers != null && config.file() == null) {
      // An address and no configuration to read security settings from: plaintext.
      return KafkaConnection.plaintext(bootstrapServers);
    }
    KafkaConfig kafka = config.load().kafka();
    String servers =
        bootstrapServers != null
            ? bootstrapServers
            : kafka.embedded().enabled()
                ? "127.0.0.1:" + kafka.embedded().port()
                : kafka.bootstrapServers();
    kafka.security().allowTokenEndpoint();
    return new KafkaConnection(servers, kafka.security());
  }
}
