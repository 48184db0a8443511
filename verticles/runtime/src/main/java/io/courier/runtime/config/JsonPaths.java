package io.courier.runtime.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;

/** Names the key a Jackson error is about, for messages that say which key is wrong. */
public final class JsonPaths {

  private JsonPaths() {}

  /**
   * The dotted field names of a binding error's path ({@code policies.standard.retry}), array
   * indexes left out; {@code "?"} for an error that is not about a key (malformed JSON).
   */
  public static String of(JsonProcessingException e) {
    if (!(e instanceof JsonMappingException mapping)) {
      return "?";
    }
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : mapping.getPath()) {
      if (ref.getFieldName() != null) {
        if (path.length() > 0) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      }
    }
    return path.toString();
  }
}
