package io.courier.kafka.embedded;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that starts one real Kafka broker per test JVM and shares it across every test
 * class that uses it; the broker stops when the JVM's test run ends. Tests get it as a parameter:
 *
 * <pre>{@code
 * @ExtendWith(SharedKafkaBroker.class)
 * class MyIT {
 *   @Test void sends(EmbeddedKafkaBroker kafka) { ... kafka.bootstrapServers() ... }
 * }
 * }</pre>
 */
public final class SharedKafkaBroker implements BeforeAllCallback, ParameterResolver {

  private static final Namespace NAMESPACE = Namespace.create(SharedKafkaBroker.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    broker(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == EmbeddedKafkaBroker.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return broker(context);
  }

  /** The broker of this JVM, started on first use. */
  public static EmbeddedKafkaBroker broker(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent("broker", key -> new Resource(), Resource.class)
        .broker;
  }

  private static final class Resource implements ExtensionContext.Store.CloseableResource {
    private final EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start();

    @Override
    public void close() {
      broker.close();
    }
  }
}
