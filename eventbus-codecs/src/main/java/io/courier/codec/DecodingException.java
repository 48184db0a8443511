package io.courier.codec;

/**
 * Bytes that do not decode into the contract type they claim to be. The message names the type and
 * the cause; the bytes are never turned into a silently defaulted message.
 */
public class DecodingException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String typeName;

  public DecodingException(String typeName, String reason, Throwable cause) {
    super("cannot decode " + typeName + ": " + reason, cause);
    this.typeName = typeName;
  }

  /** Full protobuf name of the type the bytes were meant to be. */
  public String typeName() {
    return typeName;
  }
}
