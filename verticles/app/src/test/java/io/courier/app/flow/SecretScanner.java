package io.courier.app.flow;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/**
 * Watches every log event of this JVM (message, arguments, MDC, exceptions and their causes) for
 * the secrets it is told about, and keeps a redacted note of each event that carried one.
 */
final class SecretScanner extends AppenderBase<ILoggingEvent> {

  private final Set<String> secrets = ConcurrentHashMap.newKeySet();
  private final List<String> leaks = new CopyOnWriteArrayList<>();
  private final AtomicLong scanned = new AtomicLong();

  /** Starts scanning everything the root logger receives. */
  static SecretScanner install() {
    SecretScanner scanner = new SecretScanner();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    scanner.setContext(root.getLoggerContext());
    scanner.setName("secret-scanner");
    scanner.start();
    root.addAppender(scanner);
    return scanner;
  }

  void uninstall() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(this);
    stop();
  }

  /** A value that must never appear in a log line from now on. */
  String watch(String secret) {
    if (secret.length() < 8) {
      throw new IllegalArgumentException("too short to scan for without false alarms");
    }
    secrets.add(secret);
    return secret;
  }

  List<String> leaks() {
    return List.copyOf(leaks);
  }

  long scanned() {
    return scanned.get();
  }

  @Override
  protected void append(ILoggingEvent event) {
    scanned.incrementAndGet();
    StringBuilder text = new StringBuilder(event.getFormattedMessage());
    event.getMDCPropertyMap().forEach((k, v) -> text.append(' ').append(k).append('=').append(v));
    for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
      text.append('\n').append(t.getClassName()).append(": ").append(t.getMessage());
      for (StackTraceElementProxy frame : t.getStackTraceElementProxyArray()) {
        text.append("\n  ").append(frame.getSTEAsString());
      }
    }
    String line = text.toString();
    for (String secret : secrets) {
      if (line.contains(secret)) {
        String redacted = line.replace(secret, "[SECRET]");
        leaks.add(
            event.getLoggerName() + ": " + redacted.substring(0, Math.min(redacted.length(), 300)));
      }
    }
  }
}
