package io.courier.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("Contract types on a local event bus")
class LocalEventBusCodecTest {

  @BeforeEach
  void registerCodecs(Vertx vertx) {
    assertThat(CourierCodecs.registerAll(vertx.eventBus())).isEqualTo(ContractTypes.all().size());
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  @DisplayName("travel request and reply as the very same immutable instances")
  void shouldDeliverEveryTypeLocallyWithoutCopying(Vertx vertx, VertxTestContext testContext) {
    List<Message> samples = SampleMessages.everyType();
    List<Future<?>> replies = new ArrayList<>();
    for (Message sample : samples) {
      String address = "test.local." + sample.getDescriptorForType().getFullName();
      vertx
          .eventBus()
          .<Message>consumer(address)
          .handler(
              message -> {
                testContext.verify(() -> assertThat(message.body()).isSameAs(sample));
                message.reply(message.body());
              });
      replies.add(
          vertx
              .eventBus()
              .<Message>request(address, sample)
              .map(
                  reply -> {
                    assertThat(reply.body()).isSameAs(sample);
                    return reply;
                  }));
    }
    Future.all(replies)
        .onComplete(
            testContext.succeeding(
                all -> testContext.verify(() -> assertThat(all.size()).isEqualTo(samples.size()))))
        .onComplete(testContext.succeedingThenComplete());
  }
}
