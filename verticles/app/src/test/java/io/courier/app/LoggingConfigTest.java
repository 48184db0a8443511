package io.courier.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.status.Status;
import co.elastic.logging.logback.EcsEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.runtime.logging.TraceLogging;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shipped Logback files load without errors and quiet the same noisy libraries, and a line the
 * runtime logs inside a span comes out of {@code conf/logback-json.xml} as an Elastic Common Schema
 * object carrying that span's ids.
 */
@DisplayName("The logging configurations")
class LoggingConfigTest {

  private static final Path CONF = Path.of("../../conf");

  private final List<LoggerContext> contexts = new CopyOnWriteArrayList<>();
  private final List<ILoggingEvent> captured = new CopyOnWriteArrayList<>();
  private final AppenderBase<ILoggingEvent> capture =
      new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
          event.prepareForDeferredProcessing();
          captured.add(event);
        }
      };
  private ch.qos.logback.classic.Logger logger;
  private SdkTracerProvider tracer;

  @BeforeEach
  void captureALogger() {
    // The runtime's filter fills the MDC on every call of the process's (global) Logback.
    TraceLogging.install("gateway,order-service", "10.0.0.7/42", "orders");
    logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.courier.order.Test");
    capture.setContext(logger.getLoggerContext());
    capture.start();
    logger.addAppender(capture);
    tracer = SdkTracerProvider.builder().build();
  }

  @AfterEach
  void release() {
    logger.detachAppender(capture);
    capture.stop();
    tracer.close();
    contexts.forEach(LoggerContext::stop);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"logback.xml", "logback-json.xml"})
  @DisplayName("load cleanly")
  void shouldLoad(String file) throws Exception {
    LoggerContext context = load(file);

    assertThat(context.getLogger("io.courier").getLevel().toString()).isEqualTo("INFO");
    assertThat(context.getLogger("com.hazelcast").getLevel().toString()).isEqualTo("WARN");
    var root = context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().next();
    assertThat(root)
        .as("event loops hand their lines to a queue, never to the console")
        .isInstanceOfSatisfying(
            AsyncAppender.class, async -> assertThat(async.isNeverBlock()).isTrue());
    var appender = console(context);
    assertThat(appender).isInstanceOf(ConsoleAppender.class);
    if (file.contains("json")) {
      assertThat(appender.getEncoder()).isInstanceOf(EcsEncoder.class);
    }
  }

  @Test
  @DisplayName("set the same level for every logger, text or JSON")
  void shouldSetTheSameLevels() throws Exception {
    assertThat(levels(load("logback-json.xml"))).isEqualTo(levels(load("logback.xml")));
  }

  @Test
  @DisplayName("write an ECS line with the current span's trace and span ids")
  void shouldWriteAnEcsLineInTheCurrentTrace() throws Exception {
    Span span = tracer.get("test").spanBuilder("place order").startSpan();
    try (Scope ignored = span.makeCurrent()) {
      LoggerFactory.getLogger("io.courier.order.Test").info("placed order {}", "o-1");
    } finally {
      span.end();
    }

    JsonNode line = json(encode("logback-json.xml", only()));
    assertThat(Instant.parse(line.get("@timestamp").asText()))
        .isBetween(Instant.now().minusSeconds(60), Instant.now());
    assertThat(line.get("log.level").asText()).isEqualTo("INFO");
    assertThat(line.get("message").asText()).isEqualTo("placed order o-1");
    assertThat(line.get("log.logger").asText()).isEqualTo("io.courier.order.Test");
    assertThat(line.get("process.thread.name").asText())
        .isEqualTo(Thread.currentThread().getName());
    assertThat(line.get("ecs.version").asText()).matches("\\d+\\.\\d+\\.\\d+");
    assertThat(line.get("service.name").asText()).isEqualTo("orders");
    assertThat(line.get("trace.id").asText()).isEqualTo(span.getSpanContext().getTraceId());
    assertThat(line.get("span.id").asText()).isEqualTo(span.getSpanContext().getSpanId());
    assertThat(line.get("role").asText()).isEqualTo("gateway,order-service");
    assertThat(line.get("instance").asText()).isEqualTo("10.0.0.7/42");
    assertThat(line.has("error.type")).isFalse();
    // The text format shows the same trace id.
    assertThat(encode("logback.xml", only()))
        .contains(" trace=" + span.getSpanContext().getTraceId() + " - placed order o-1");
  }

  @Test
  @DisplayName("write a throwable as error fields, and no trace id outside a span")
  void shouldWriteAnErrorOutsideATrace() throws Exception {
    LoggerFactory.getLogger("io.courier.order.Test")
        .error("charge failed", new IllegalStateException("provider down"));

    JsonNode line = json(encode("logback-json.xml", only()));
    assertThat(line.get("log.level").asText()).isEqualTo("ERROR");
    assertThat(line.get("error.type").asText()).isEqualTo("java.lang.IllegalStateException");
    assertThat(line.get("error.message").asText()).isEqualTo("provider down");
    assertThat(line.get("error.stack_trace").asText())
        .startsWith("java.lang.IllegalStateException: provider down")
        .contains("LoggingConfigTest");
    assertThat(line.has("trace.id")).isFalse();
    assertThat(line.has("span.id")).isFalse();
    assertThat(line.get("instance").asText()).isEqualTo("10.0.0.7/42");
    assertThat(encode("logback.xml", only())).doesNotContain("trace=");
  }

  private ILoggingEvent only() {
    assertThat(captured).hasSize(1);
    return captured.get(0);
  }

  /** The console appender behind the root logger's queue. */
  @SuppressWarnings("unchecked")
  private static ConsoleAppender<ILoggingEvent> console(LoggerContext context) {
    AsyncAppender async =
        (AsyncAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().next();
    return (ConsoleAppender<ILoggingEvent>) async.iteratorForAppenders().next();
  }

  /** {@code event} as the shipped {@code file}'s console appender writes it. */
  private String encode(String file, ILoggingEvent event) throws Exception {
    Encoder<ILoggingEvent> encoder = console(load(file)).getEncoder();
    String text = new String(encoder.encode(event), StandardCharsets.UTF_8);
    assertThat(text).endsWith("\n");
    if (encoder instanceof EcsEncoder) {
      assertThat(text.strip()).as("one JSON object on one line").doesNotContain("\n");
    }
    return text;
  }

  private static JsonNode json(String line) throws Exception {
    return new ObjectMapper().readTree(line);
  }

  private LoggerContext load(String file) throws Exception {
    LoggerContext context = new LoggerContext();
    contexts.add(context);
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(CONF.resolve(file).toFile());
    assertThat(context.getStatusManager().getCopyOfStatusList())
        .noneMatch(status -> status.getLevel() >= Status.WARN);
    return context;
  }

  private static Map<String, Level> levels(LoggerContext context) {
    Map<String, Level> levels = new TreeMap<>();
    context.getLoggerList().stream()
        .filter(logger -> logger.getLevel() != null)
        .forEach(logger -> levels.put(logger.getName(), logger.getLevel()));
    return levels;
  }
}
