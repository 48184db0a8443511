package io.courier.app;

import io.courier.runtime.config.KafkaConfig;
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

  String bootstrapServers() {
    if (bootstrapServers != null) {
      return bootstrapServers;
    }
    KafkaConfig kafka = config.load().kafka();
    return kafka.embedded().enabled()
        ? "127.0.0.1:" + kafka.embedded().port()
        : kafka.bootstrapServers();
  }
}
