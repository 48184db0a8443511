package io.courier.resilience;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.courier.runtime.config.JsonPaths;
import java.util.List;

/**
 * Reads a policy file into {@link ResiliencePolicies}, in two stages. Binding is strict (an unknown
 * key, a wrong type or a missing required key), and stops at the first such error, naming its key.
 * Then each section checks its own values ({@link ResiliencePolicies#validate}), and every problem
 * of the file is reported at once.
 */
final class PolicyFileParser {

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .build();

  private PolicyFileParser() {}

  /**
   * @param source names the file in errors
   * @throws InvalidPolicyException naming {@code source} and the bad key(s)
   */
  static ResiliencePolicies parse(String json, String source) {
    ResiliencePolicies parsed = bind(json, source);
    PolicyProblems problems = PolicyProblems.ofFile();
    parsed.validate(problems);
    List<String> found = problems.found();
    if (!found.isEmpty()) {
      throw new InvalidPolicyException(source + ": " + String.join("; ", found));
    }
    return parsed;
  }

  private static ResiliencePolicies bind(String json, String source) {
    ResiliencePolicies parsed;
    try {
      parsed = MAPPER.readValue(json, ResiliencePolicies.class);
    } catch (JsonMappingException e) {
      throw new InvalidPolicyException(
          source + ": key '" + JsonPaths.of(e) + "': " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new InvalidPolicyException(source + ": not valid JSON: " + e.getOriginalMessage());
    }
    if (parsed == null || parsed.policies() == null || parsed.targets() == null) {
      throw new InvalidPolicyException(source + ": needs 'policies' and 'targets'");
    }
    return parsed;
  }
}
