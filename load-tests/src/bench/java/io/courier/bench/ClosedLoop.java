package io.courier.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A closed-loop load driver: {@code concurrency} loops each issue one call, wait for its answer and
 * issue the next, first for a warm-up and then for the measured window. Latency is recorded from
 * the moment a call is issued to its answer (an HdrHistogram, microsecond resolution); throughput
 * is the answers counted in the window divided by its length. The same driver measures a baseline
 * and the Courier path it is compared with, so both see the same client.
 */
public final class ClosedLoop {

  /** One asynchronous call; {@code done} is told once whether it succeeded. */
  @FunctionalInterface
  public interface Call {
    void start(Done done);
  }

  /** Reports the end of one call. */
  @FunctionalInterface
  public interface Done {
    void done(boolean ok);
  }

  private enum Phase {
    WARM_UP,
    MEASURE,
    STOP
  }

  private final int concurrency;
  private volatile Phase phase = Phase.WARM_UP;
  private final Duration warmUp;
  private final Duration window;

  public ClosedLoop(int concurrency, Duration warmUp, Duration window) {
    this.concurrency = concurrency;
    this.warmUp = warmUp;
    this.window = window;
  }

  public int concurrency() {
    return concurrency;
  }

  /**
   * Runs the loops against {@code call} and returns what the window measured. A driver runs once.
   */
  public Measure run(Call call) throws InterruptedException {
    Recorder recorder = new Recorder(3);
    LongAdder ok = new LongAdder();
    LongAdder failed = new LongAdder();
    CountDownLatch drained = new CountDownLatch(concurrency);
    for (int i = 0; i < concurrency; i++) {
      new Object() {
        void next() {
          if (phase == Phase.STOP) {
            drained.countDown();
            return;
          }
          long begin = System.nanoTime();
          try {
            call.start(
                success -> {
                  if (phase == Phase.MEASURE) {
                    recorder.recordValue(Math.max(1, (System.nanoTime() - begin) / 1_000));
                    (success ? ok : failed).increment();
                  }
                  next();
                });
          } catch (RuntimeException e) {
            failed.increment();
            drained.countDown();
          }
        }
      }.next();
    }
    TimeUnit.MILLISECONDS.sleep(warmUp.toMillis());
    recorder.getIntervalHistogram();
    ok.reset();
    failed.reset();
    long begin = System.nanoTime();
    phase = Phase.MEASURE;
    TimeUnit.MILLISECONDS.sleep(window.toMillis());
    phase = Phase.STOP;
    double seconds = (System.nanoTime() - begin) / 1e9;
    Histogram histogram = recorder.getIntervalHistogram();
    long answered = ok.sum();
    long errors = failed.sum();
    // Calls in flight finish (or time out) on their own; a loop that never hears back is left.
    drained.await(10, TimeUnit.SECONDS);
    return new Measure(concurrency, seconds, answered, errors, histogram);
  }

  /** What one window measured. Latencies in microseconds. */
  public record Measure(
      int concurrency, double seconds, long ok, long errors, Histogram latencyMicros) {

    public double rate() {
      return ok / seconds;
    }

    public long p50() {
      return latencyMicros.getValueAtPercentile(50);
    }

    public long p90() {
      return latencyMicros.getValueAtPercentile(90);
    }

    public long p99() {
      return latencyMicros.getValueAtPercentile(99);
    }

    public long max() {
      return latencyMicros.getMaxValue();
    }
  }
}
