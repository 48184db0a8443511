package io.courier.bench;

import com.google.protobuf.Message;
import io.courier.codec.ProtobufMessageCodec;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.impl.codecs.JsonObjectMessageCodec;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One message body through an event-bus codec, without the event bus: Courier's {@link
 * ProtobufMessageCodec} against Vert.x's built-in {@code JsonObjectMessageCodec} (the baseline)
 * carrying the same fields. {@code *Encode}/{@code *Decode} are what a clustered event bus does to
 * the body per message (into a fresh buffer, as the event bus does); {@code *Local} is {@code
 * transform}, all a codec does on local delivery (protobuf hands the immutable message over, the
 * JSON codec copies the object).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class CodecBenchmark {

  @Param({"PlaceOrderRequest", "Order"})
  public String type;

  private final JsonObjectMessageCodec jsonCodec = new JsonObjectMessageCodec();
  private ProtobufMessageCodec<Message> protobufCodec;
  private Message message;
  private JsonObject object;
  private Buffer protobufWire;
  private Buffer jsonWire;

  @Setup
  public void setUp() {
    message = BenchSamples.message(type);
    object = BenchSamples.json(type);
    protobufCodec = new ProtobufMessageCodec<>(message);
    protobufWire = protobufEncode();
    jsonWire = jsonEncode();
    if (!protobufCodec.decodeFromWire(0, protobufWire).equals(message)
        || !jsonCodec.decodeFromWire(0, jsonWire).equals(object)) {
      throw new IllegalStateException("a codec does not read back what it wrote");
    }
  }

  @Benchmark
  public Buffer protobufEncode() {
    Buffer buffer = Buffer.buffer();
    protobufCodec.encodeToWire(buffer, message);
    return buffer;
  }

  @Benchmark
  public Buffer jsonEncode() {
    Buffer buffer = Buffer.buffer();
    jsonCodec.encodeToWire(buffer, object);
    return buffer;
  }

  @Benchmark
  public Message protobufDecode() {
    return protobufCodec.decodeFromWire(0, protobufWire);
  }

  @Benchmark
  public JsonObject jsonDecode() {
    return jsonCodec.decodeFromWire(0, jsonWire);
  }

  @Benchmark
  public Message protobufLocal() {
    return protobufCodec.transform(message);
  }

  @Benchmark
  public JsonObject jsonLocal() {
    return jsonCodec.transform(object);
  }
}
