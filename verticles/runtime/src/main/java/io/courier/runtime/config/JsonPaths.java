package io.courier.runtime.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;

/** Key paths of Jackson errors, for messages that name the key a bad value sits at. */
public final class JsonPaths {

  private JsonPaths() {}

  /**
   * The dotted key path of a Jackson binding error, e.g. {@code policies.standard.retry}; {@code ?}
   * when the error has no path (it is not a binding error).
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
