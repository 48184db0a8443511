package io.courier.resilience;

/** A resilience policy file that cannot be used; the message names the file and the key. */
public class InvalidPolicyException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public InvalidPolicyException(String message) {
    super(message);
  }
}
