package io.courier.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.courier.contract.v1.Order;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Three clustered Vert.x members on 127.0.0.1 in one JVM: sender, receiver and a faulty peer. */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Contract types across a Hazelcast cluster on 127.0.0.1")
class ClusteredEventBusCodecIT {

  private final String clusterName = "codec-it-" + UUID.randomUUID();
  private final List<Integer> ports = List.of(freePort(), freePort(), freePort());
  private Vertx sender;
  private Vertx receiver;
  private Vertx faultyPeer;

  @BeforeAll
  void startCluster() throws Exception {
    receiver = clustered(0).await(60, TimeUnit.SECONDS);
    sender = clustered(1).await(60, TimeUnit.SECONDS);
    faultyPeer = clustered(2).await(60, TimeUnit.SECONDS);
    CourierCodecs.registerAll(receiver.eventBus());
    CourierCodecs.registerAll(sender.eventBus());
    faultyPeer.eventBus().registerCodec(new GarbageCodec());
  }

  @AfterAll
  void stopCluster() throws Exception {
    for (Vertx member : new Vertx[] {faultyPeer, sender, receiver}) {
      if (member != null) {
        member.close().await(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  @DisplayName("cross between members as compact bytes and come back equal")
  void shouldRoundTripEveryTypeAcrossTheCluster(VertxTestContext testContext) {
    List<Message> samples = SampleMessages.everyType();
    String address = "test.cluster.echo." + UUID.randomUUID();
    List<Future<?>> replies = new ArrayList<>();
    receiver
        .eventBus()
        .<Message>consumer(address, message -> message.reply(message.body()))
        .completion()
        .onComplete(
            testContext.succeeding(
                registered -> {
                  for (Message sample : samples) {
                    replies.add(
                        sender
                            .eventBus()
                            .<Message>request(address, sample)
                            .map(
                                reply -> {
                                  assertThat(reply.body()).isEqualTo(sample).isNotSameAs(sample);
                                  return reply;
                                }));
                  }
                  Future.all(replies).onComplete(testContext.succeedingThenComplete());
                }));
  }

  @Test
  @Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
  @DisplayName("refuse corrupt bytes from a faulty peer with an error naming the type")
  void shouldRefuseCorruptBytesFromFaultyPeer(VertxTestContext testContext) {
    String address = "test.cluster.strict." + UUID.randomUUID();
    receiver
        .eventBus()
        .<Order>consumer(
            address,
            message -> {
              try {
                message.reply("accepted " + message.body().getId());
              } catch (DecodingException e) {
                message.fail(400, e.getMessage());
              }
            })
        .completion()
        .compose(
            registered ->
                faultyPeer
                    .eventBus()
                    .request(
                        address,
                        "not an order",
                        new DeliveryOptions().setCodecName(GarbageCodec.NAME)))
        .onComplete(
            testContext.failing(
                failure ->
                    testContext.verify(
                        () -> {
                          assertThat(failure).isInstanceOf(ReplyException.class);
                          assertThat(((ReplyException) failure).failureCode()).isEqualTo(400);
                          assertThat(failure.getMessage())
                              .startsWith("cannot decode courier.v1.Order: ");
                          testContext.completeNow();
                        })));
  }

  private Future<Vertx> clustered(int member) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(clusterName);
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.getNetworkConfig().setPort(ports.get(member)).setPortAutoIncrement(false);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true);
    for (int port : ports) {
      join.getTcpIpConfig().addMember("127.0.0.1:" + port);
    }
    return Vertx.builder()
        .withClusterManager(new HazelcastClusterManager(config))
        .with(
            new io.vertx.core.VertxOptions()
                .setEventBusOptions(
                    new EventBusOptions().setHost("127.0.0.1").setClusterPublicHost("127.0.0.1")))
        .buildClustered();
  }

  private static int freePort() {
    return io.courier.kafka.embedded.LoopbackPorts.free();
  }

  /** A peer whose codec for courier.v1.Order writes bytes that are not an Order. */
  private static final class GarbageCodec implements MessageCodec<String, Order> {
    static final String NAME = ProtobufMessageCodec.wireName("courier.v1.Order");

    @Override
    public void encodeToWire(Buffer buffer, String s) {
      byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
      buffer.appendInt(garbage.length).appendBytes(garbage);
    }

    @Override
    public Order decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException("the faulty peer only sends");
    }

    @Override
    public Order transform(String s) {
      throw new UnsupportedOperationException("the faulty peer only sends");
    }

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
