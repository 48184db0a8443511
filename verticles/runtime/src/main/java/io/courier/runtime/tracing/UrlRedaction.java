package io.courier.runtime.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;

/**
 * Keeps credentials out of traces: a URL attribute ({@code url.full}, {@code http.url}) loses its
 * user info and its query values, and {@code url.query} its values, before any processor or
 * exporter sees the span. Webhook and provider URLs often carry a token in the query (the test that
 * scans a full flow's logs for secrets found one in a client span).
 */
final class UrlRedaction implements SpanProcessor {

  private static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
  private static final AttributeKey<String> HTTP_URL = AttributeKey.stringKey("http.url");
  private static final AttributeKey<String> URL_QUERY = AttributeKey.stringKey("url.query");

  @Override
  public void onStart(Context parentContext, ReadWriteSpan span) {
    redact(span, URL_FULL, true);
    redact(span, HTTP_URL, true);
    redact(span, URL_QUERY, false);
  }

  private static void redact(ReadWriteSpan span, AttributeKey<String> key, boolean url) {
    String value = span.getAttribute(key);
    if (value != null) {
      String clean = url ? url(value) : query(value);
      if (!clean.equals(value)) {
        span.setAttribute(key, clean);
      }
    }
  }

  /**
   * {@code scheme://user:pw@host/p?a=1&b=2#f} becomes {@code
   * scheme://host/p?a=REDACTED&b=REDACTED}.
   */
  static String url(String url) {
    String out = url;
    int scheme = out.indexOf("://");
    if (scheme >= 0) {
      int hostStart = scheme + 3;
      int pathStart = indexOfAny(out, hostStart, '/', '?', '#');
      int at = out.lastIndexOf('@', pathStart < 0 ? out.length() - 1 : pathStart);
      if (at >= hostStart) {
        out = out.substring(0, hostStart) + out.substring(at + 1);
      }
    }
    int fragment = out.indexOf('#');
    if (fragment >= 0) {
      out = out.substring(0, fragment);
    }
    int question = out.indexOf('?');
    return question < 0 ? out : out.substring(0, question + 1) + query(out.substring(question + 1));
  }

  static String query(String query) {
    StringBuilder out = new StringBuilder();
    for (String pair : query.split("&", -1)) {
      if (out.length() > 0) {
        out.append('&');
      }
      int eq = pair.indexOf('=');
      out.append(eq < 0 ? pair : pair.substring(0, eq + 1) + "REDACTED");
    }
    return out.toString();
  }

  private static int indexOfAny(String text, int from, char... chars) {
    int found = -1;
    for (char c : chars) {
      int at = text.indexOf(c, from);
      if (at >= 0 && (found < 0 || at < found)) {
        found = at;
      }
    }
    return found;
  }

  @Override
  public boolean isStartRequired() {
    return true;
  }

  @Override
  public void onEnd(ReadableSpan span) {}

  @Override
  public boolean isEndRequired() {
    return false;
  }
}
