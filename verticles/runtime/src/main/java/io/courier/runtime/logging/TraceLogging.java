package io.courier.runtime.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.Marker;

/**
 * Puts {@code trace_id}, {@code span_id}, {@code role} and {@code instance} into the MDC of every
 * log call, so each line written while serving a request (or handling a Kafka record) carries that
 * request's trace. Installed by the runtime into Logback, whatever its configuration file; {@code
 * conf/logback-json.xml} writes them as JSON fields, {@code conf/logback.xml} shows the trace id in
 * the text pattern.
 */
public final class TraceLogging extends TurboFilter {

  private static volatile String role = "";
  private static volatile String instance = "";

  private TraceLogging() {}

  /** Adds the filter to Logback once (no-op without Logback) and sets this process's labels. */
  public static void install(String roles, String instanceId) {
    role = roles;
    instance = instanceId;
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext logback)) {
      return;
    }
    synchronized (TraceLogging.class) {
      if (logback.getTurboFilterList().stream().noneMatch(TraceLogging.class::isInstance)) {
        TraceLogging filter = new TraceLogging();
        filter.setName("courier-trace");
        filter.start();
        logback.addTurboFilter(filter);
      }
    }
  }

  @Override
  public FilterReply decide(
      Marker marker,
      ch.qos.logback.classic.Logger logger,
      Level level,
      String format,
      Object[] params,
      Throwable t) {
    if (format == null || !logger.isEnabledFor(level)) {
      return FilterReply.NEUTRAL;
    }
    SpanContext span = Span.current().getSpanContext();
    if (span.isValid()) {
      MDC.put("trace_id", span.getTraceId());
      MDC.put("span_id", span.getSpanId());
    } else {
      MDC.remove("trace_id");
      MDC.remove("span_id");
    }
    MDC.put("role", role);
    MDC.put("instance", instance);
    return FilterReply.NEUTRAL;
  }
}
