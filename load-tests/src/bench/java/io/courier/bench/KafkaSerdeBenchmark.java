package io.courier.bench;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventDeserializer;
import io.courier.codec.kafka.EventSerializer;
import io.courier.contract.v1.EventEnvelope;
import io.courier.contract.v1.OrderPlaced;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One {@code OrderPlaced} event (an order of three line items) to and from a Kafka record, without
 * a broker. Courier's {@link EventSerializer} writes the protobuf payload as the value and the
 * CloudEvents envelope as {@code ce_*} headers (the key, the subject, is a plain string either way
 * and left out); its {@link EventDeserializer} reads the headers, looks the type up in the contract
 * registry, checks the schema version and parses the payload. The baseline is Kafka's {@code
 * ByteArraySerializer}/{@code ByteArrayDeserializer} around the payload's protobuf {@code
 * toByteArray}/{@code parseFrom}: what a producer of bare protobuf records with a known type does.
 * {@code envelope*} is the structured alternative: the whole {@code EventEnvelope} as the value, no
 * headers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class KafkaSerdeBenchmark {

  static final String TOPIC = "courier.orders";

  private final Event<OrderPlaced> event = BenchSamples.orderPlaced();
  private final EventSerializer serializer = new EventSerializer();
  private final EventDeserializer deserializer = new EventDeserializer();
  private final ByteArraySerializer rawSerializer = new ByteArraySerializer();
  private final ByteArrayDeserializer rawDeserializer = new ByteArrayDeserializer();
  private RecordHeaders headers;
  private byte[] value;
  private byte[] envelope;

  @Setup
  public void setUp() {
    headers = new RecordHeaders();
    value = serializer.serialize(TOPIC, headers, event);
    headers.setReadOnly();
    envelope = event.toEnvelope().toByteArray();
    if (!event.equals(deserializer.deserialize(TOPIC, headers, value))) {
      throw new IllegalStateException("EventDeserializer does not read back what was written");
    }
  }

  @Benchmark
  public byte[] courierSerialize(Blackhole blackhole) {
    RecordHeaders written = new RecordHeaders();
    byte[] bytes = serializer.serialize(TOPIC, written, event);
    blackhole.consume(written);
    return bytes;
  }

  @Benchmark
  public byte[] rawSerialize() {
    return rawSerializer.serialize(TOPIC, event.data().toByteArray());
  }

  @Benchmark
  public Event<?> courierDeserialize() {
    return deserializer.deserialize(TOPIC, headers, value);
  }

  @Benchmark
  public OrderPlaced rawDeserialize() throws Exception {
    return OrderPlaced.parseFrom(rawDeserializer.deserialize(TOPIC, value));
  }

  @Benchmark
  public byte[] envelopeSerialize() {
    return event.toEnvelope().toByteArray();
  }

  @Benchmark
  public Event<?> envelopeDeserialize() throws Exception {
    return Event.fromEnvelope(EventEnvelope.parseFrom(envelope));
  }
}
