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
 * Puts {@code trace.id}, {@code span.id}, {@code service.name}, {@code role} and {@code instance}
 * into the MDC of every log call, so each line written while serving a request (or handling a Kafka
 * record) carries that request's trace. The names are Elastic Common Schema fields (and the role
 * and instance labels Courier adds): {@code conf/logback-json.xml} writes them as top-level fields
 * of an ECS line, {@code conf/logback.xml} shows the trace id in the text pattern. Installed by the
 * runtime into Logback, whatever its configuration file.
 */
public final class TraceLogging extends TurboFilter {

  /** The MDC key of the current span's trace id (ECS {@code trace.id}). */
  public static final String TRACE_ID = "trace.id";

  /** The MDC key of the current span's id (ECS {@code span.id}). */
  public static final String SPAN_ID = "span.id";

  /** The MDC key of the service name, the tracing resource's {@code service.name}. */
  public static final String SERVICE_NAME = "service.name";

  /** The MDC key of the roles the process runs, comma-separated. */
  public static final String ROLE = "role";

  /** The MDC key of the process among its peers, as in its spans' {@code service.instance.id}. */
  public static final String INSTANCE = "instance";

  private static volatile String role = "";
  private static volatile String instance = "";
  private static volatile String service = "";

  private TraceLogging() {}

  /** Adds the filter to Logback once (no-op without Logback) and sets this process's labels. */
  public static void install(String roles, String instanceId, String serviceName) {
    role = roles;
    instance = instanceId;
    service = serviceName;
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
      MDC.put(TRACE_ID, span.getTraceId());
      MDC.put(SPAN_ID, span.getSpanId());
    } else {
      MDC.remove(TRACE_ID);
      MDC.remove(SPAN_ID);
    }
    MDC.put(SERVICE_NAME, service);
    MDC.put(ROLE, role);
    MDC.put(INSTANCE, instance);
    return FilterReply.NEUTRAL;
  }
}
