package io.courier.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.Status;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;

/** The shipped Logback files load without errors and quiet the same noisy libraries. */
@DisplayName("The logging configurations")
class LoggingConfigTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"logback.xml", "logback-json.xml"})
  @DisplayName("load cleanly")
  void shouldLoad(String file) throws Exception {
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(Path.of("../../conf").resolve(file).toFile());

    assertThat(context.getStatusManager().getCopyOfStatusList())
        .noneMatch(status -> status.getLevel() >= Status.WARN);
    assertThat(context.getLogger("io.courier").getLevel().toString()).isEqualTo("INFO");
    assertThat(context.getLogger("com.hazelcast").getLevel().toString()).isEqualTo("WARN");
    var appender = context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().next();
    assertThat(appender).isInstanceOf(ConsoleAppender.class);
    if (file.contains("json")) {
      assertThat(((ConsoleAppender<?>) appender).getEncoder()).isInstanceOf(JsonEncoder.class);
    }
    context.stop();
  }
}
