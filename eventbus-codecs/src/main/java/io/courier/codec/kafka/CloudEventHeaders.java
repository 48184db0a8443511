package io.courier.codec.kafka;

/**
 * Header names of the CloudEvents Kafka protocol binding (binary content mode), plus Courier's
 * extension attributes. Extension names follow the CloudEvents rule: lower-case letters and digits.
 */
public final class CloudEventHeaders {

  public static final String SPEC_VERSION = "ce_specversion";
  public static final String ID = "ce_id";
  public static final String TYPE = "ce_type";
  public static final String SOURCE = "ce_source";
  public static final String TIME = "ce_time";
  public static final String SUBJECT = "ce_subject";
  public static final String DATA_SCHEMA = "ce_dataschema";

  /** Courier extension: the payload type's schema version. */
  public static final String SCHEMA_VERSION = "ce_schemaversion";

  /** CloudEvents distributed-tracing extension. */
  public static final String TRACEPARENT = "ce_traceparent";

  public static final String TRACESTATE = "ce_tracestate";

  /** In binary mode the data's content type is the plain Kafka header {@code content-type}. */
  public static final String CONTENT_TYPE = "content-type";

  public static final String SPEC_VERSION_VALUE = "1.0";
  public static final String PROTOBUF_CONTENT_TYPE = "application/protobuf";

  private CloudEventHeaders() {}
}
