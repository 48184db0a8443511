package io.courier.resilience;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileProps;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a policy file applied: {@link #start()} reads it once (a bad file fails start-up, naming
 * the key), then every period a Vert.x timer checks the file's size and modification time through
 * the asynchronous file system. A change is judged once two checks in a row read the same bytes, so
 * a writer caught between truncating and writing ({@code cp}, {@code echo >}) is not; a valid
 * change is handed to the listener, an invalid one is refused with the key named and the old
 * policies stay. Each judged change is announced on {@link #RELOAD_ADDRESS}.
 *
 * <p>Timers and file callbacks run on the context that called {@link #start()}, one check at a
 * time; a timer set from a verticle is cancelled when it is undeployed, and {@link #stop()} cancels
 * it sooner.
 */
public final class PolicyFileWatcher {

  /**
   * Announcements of judged changes: {@code {"applied": bool, "error": text, "file": path, "owner":
   * who applies it}}.
   */
  public static final String RELOAD_ADDRESS = "courier.resilience.reloaded";

  private static final Logger LOG = LoggerFactory.getLogger(PolicyFileWatcher.class);

  private final Vertx vertx;
  private final String file;
  private final long periodMs;
  private final String owner;
  private final Consumer<ResiliencePolicies> listener;
  private long lastModified = -1;
  private long lastSize = -1;
  private Buffer settling;
  private boolean checking;
  private long timer = -1;
  private volatile ResiliencePolicies current;

  /**
   * @param file the policy file
   * @param periodMs how often the file is checked
   * @param owner who applies the policies, in announcements and logs
   * @param listener applies valid policies: the first ones on {@link #start()}, then each change
   */
  public PolicyFileWatcher(
      Vertx vertx,
      String file,
      long periodMs,
      String owner,
      Consumer<ResiliencePolicies> listener) {
    if (periodMs < 1) {
      throw new IllegalArgumentException("periodMs must be >= 1, was " + periodMs);
    }
    this.vertx = vertx;
    this.file = file;
    this.periodMs = periodMs;
    this.owner = owner;
    this.listener = listener;
  }

  /** Reads, validates and applies the file, then watches it; fails when it cannot be applied. */
  public Future<ResiliencePolicies> start() {
    return vertx
        .fileSystem()
        .props(file)
        .compose(props -> vertx.fileSystem().readFile(file).map(content -> apply(props, content)))
        .onSuccess(applied -> timer = vertx.setPeriodic(periodMs, id -> check()));
  }

  /** Stops watching; the policies applied last stay. */
  public void stop() {
    if (timer != -1) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** The policies applied last. */
  public ResiliencePolicies current() {
    return current;
  }

  /** The file watched. */
  public String file() {
    return file;
  }

  private void check() {
    if (checking) {
      return; // the previous check is still reading; the next tick looks again
    }
    checking = true;
    vertx
        .fileSystem()
        .props(file)
        .compose(
            props -> {
              if (props.lastModifiedTime() == lastModified && props.size() == lastSize) {
                settling = null;
                return Future.succeededFuture();
              }
              return vertx.fileSystem().readFile(file).map(content -> settle(props, content));
            })
        .onComplete(
            done -> {
              checking = false;
              if (done.failed()) {
                LOG.warn("{}: cannot read {}: {}", owner, file, done.cause().getMessage());
              }
            });
  }

  /** Judges content read twice in a row with the same bytes. */
  private Void settle(FileProps props, Buffer content) {
    if (!content.equals(settling)) {
      settling = content;
      return null;
    }
    settling = null;
    try {
      apply(props, content);
      announce(true, null);
    } catch (InvalidPolicyException e) {
      lastModified = props.lastModifiedTime();
      lastSize = props.size();
      LOG.error(
          "{}: resilience policies not reloaded, the old ones stay: {}", owner, e.getMessage());
      announce(false, e.getMessage());
    }
    return null;
  }

  private ResiliencePolicies apply(FileProps props, Buffer content) {
    ResiliencePolicies parsed =
        ResiliencePolicies.parse(content.toString(StandardCharsets.UTF_8), file);
    lastModified = props.lastModifiedTime();
    lastSize = props.size();
    listener.accept(parsed);
    current = parsed;
    return parsed;
  }

  private void announce(boolean applied, String error) {
    JsonObject event =
        new JsonObject().put("applied", applied).put("file", file).put("owner", owner);
    if (error != null) {
      event.put("error", error);
    }
    vertx.eventBus().publish(RELOAD_ADDRESS, event);
  }
}
