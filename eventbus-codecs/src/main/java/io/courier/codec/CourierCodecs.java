package io.courier.codec;

import com.google.protobuf.Message;
import io.vertx.core.eventbus.EventBus;

/** Registers Courier's codecs on an event bus. */
public final class CourierCodecs {

  private CourierCodecs() {}

  /**
   * Registers one {@link ProtobufMessageCodec} per contract type as that type's default codec, so
   * {@code eventBus.request(address, order)} needs no delivery options. Call once per Vertx
   * instance, before the first message is sent.
   *
   * @return the number of codecs registered
   */
  public static int registerAll(EventBus eventBus) {
    int count = 0;
    for (Message type : ContractTypes.defaultInstances()) {
      register(eventBus, type);
      count++;
    }
    return count;
  }

  @SuppressWarnings("unchecked")
  private static <T extends Message> void register(EventBus eventBus, T defaultInstance) {
    eventBus.registerDefaultCodec(
        (Class<T>) defaultInstance.getClass(), new ProtobufMessageCodec<>(defaultInstance));
  }
}
