package io.courier.runtime.kafka;

/** Kafka headers Courier adds to records it moves to a retry or dead-letter topic. */
public final class DeliveryHeaders {

  /** Topic, partition and offset of the record as first consumed. */
  public static final String ORIGINAL_TOPIC = "courier_original_topic";

  public static final String ORIGINAL_PARTITION = "courier_original_partition";
  public static final String ORIGINAL_OFFSET = "courier_original_offset";

  /** Class and message of the last failure. */
  public static final String ERROR_CLASS = "courier_error_class";

  public static final String ERROR_MESSAGE = "courier_error_message";

  /** Handler attempts made so far, in place and through the retry topic. */
  public static final String ATTEMPTS = "courier_attempts";

  /** How many times the record went through the retry topic. */
  public static final String RETRIES = "courier_retries";

  /** Epoch milliseconds before which a record on the retry topic is not handled. */
  public static final String RETRY_AT = "courier_retry_at";

  /** Suffix of a topic's retry topic. */
  public static final String RETRY_SUFFIX = ".retry";

  /** Suffix of a topic's dead-letter topic. */
  public static final String DLT_SUFFIX = ".dlt";

  private DeliveryHeaders() {}

  /** The topic a record of {@code topic} belongs to once retry and DLT suffixes are removed. */
  public static String baseTopic(String topic) {
    if (topic.endsWith(RETRY_SUFFIX)) {
      return topic.substring(0, topic.length() - RETRY_SUFFIX.length());
    }
    if (topic.endsWith(DLT_SUFFIX)) {
      return topic.substring(0, topic.length() - DLT_SUFFIX.length());
    }
    return topic;
  }

  /** True for headers Courier adds on the way to a retry or dead-letter topic. */
  public static boolean isDeliveryHeader(String name) {
    return name.startsWith("courier_");
  }
}
