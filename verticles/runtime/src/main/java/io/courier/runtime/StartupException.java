package io.courier.runtime;

/** A step of start-up failed; the message names the step (a role, the broker, the cluster). */
public class StartupException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String step;

  public StartupException(String step, Throwable cause) {
    super(step + " failed to start: " + describe(cause), cause);
    this.step = step;
  }

  /** The step that failed, e.g. {@code role 'gateway'}. */
  public String step() {
    return step;
  }

  private static String describe(Throwable cause) {
    String message = cause.getMessage();
    return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
  }
}
