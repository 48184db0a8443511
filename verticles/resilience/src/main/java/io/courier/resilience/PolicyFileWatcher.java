package io.courier.resilience;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileProps;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.consul.ConsulClientOptions;
import io.vertx.ext.consul.KeyValue;
import io.vertx.ext.consul.Watch;
import io.vertx.ext.consul.WatchResult;
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
 * <p>With {@link #withConsulKey} the policies may also come from a Consul KV key, followed with
 * blocking queries (vertx-consul-client's {@code Watch.key}): while the key holds a value, that
 * value (the same JSON, validated exactly like the file) is in force instead of the file; a bad
 * value is refused with the old policies kept; when the key is deleted the file's policies apply
 * again. Start-up never waits for Consul: the file applies until the key's first answer.
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

  private ConsulClientOptions agent;
  private String consulKey;
  private Watch<KeyValue> keyWatch;

  /** The file's policies as read last (in force while the key holds nothing). */
  private ResiliencePolicies fromFile;

  /** The key's value as judged last; null while the key holds nothing. */
  private String keyValue;

  /** The key's value refused last, not judged again until the key changes. */
  private String refusedValue;

  private long lastKeyWarning = Long.MIN_VALUE / 2;

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

  /**
   * Also follows the Consul KV key {@code key} on the agent {@code agent}: its value, while it has
   * one, is the policies in force. Call before {@link #start()}.
   */
  public PolicyFileWatcher withConsulKey(ConsulClientOptions agent, String key) {
    this.agent = new ConsulClientOptions(agent);
    this.consulKey = key;
    return this;
  }

  /**
   * Reads, validates and applies the file, then watches it (and the Consul key, when given); fails
   * when the file cannot be applied.
   */
  public Future<ResiliencePolicies> start() {
    return vertx
        .fileSystem()
        .props(file)
        .compose(props -> vertx.fileSystem().readFile(file).map(content -> apply(props, content)))
        .onSuccess(
            applied -> {
              timer = vertx.setPeriodic(periodMs, id -> check());
              if (consulKey != null) {
                keyWatch = Watch.key(consulKey, vertx, agent).setHandler(this::keyChanged).start();
              }
            });
  }

  /** Stops watching; the policies applied last stay. */
  public void stop() {
    if (timer != -1) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    if (keyWatch != null) {
      keyWatch.stop();
      keyWatch = null;
    }
  }

  /** Where the policies in force come from: the file, or {@code consul:<key>}. */
  public String source() {
    return keyValue != null ? "consul:" + consulKey : file;
  }

  /** A new answer of the Consul key's blocking query. */
  private void keyChanged(WatchResult<KeyValue> result) {
    if (keyWatch == null) {
      return;
    }
    if (result.failed()) {
      long now = System.currentTimeMillis();
      if (now - lastKeyWarning >= 60_000) {
        lastKeyWarning = now;
        LOG.warn(
            "{}: cannot read Consul key {}; the policies in force stay (reported once a minute): {}",
            owner,
            consulKey,
            String.valueOf(result.cause()));
      }
      return;
    }
    KeyValue next = result.nextResult();
    String value = next == null || !next.isPresent() ? null : next.getValue();
    if (java.util.Objects.equals(value, keyValue)
        || (value != null && value.equals(refusedValue))) {
      return;
    }
    refusedValue = null;
    if (value == null) {
      keyValue = null;
      LOG.info("{}: Consul key {} deleted; the policies of {} apply", owner, consulKey, file);
      listener.accept(fromFile);
      current = fromFile;
      announce(true, null);
      return;
    }
    try {
      ResiliencePolicies parsed = ResiliencePolicies.parse(value, "consul:" + consulKey);
      keyValue = value;
      listener.accept(parsed);
      current = parsed;
      LOG.info("{}: resilience policies applied from Consul key {}", owner, consulKey);
      announce(true, null);
    } catch (InvalidPolicyException e) {
      refusedValue = value;
      LOG.error(
          "{}: resilience policies of Consul key {} refused, the old ones stay: {}",
          owner,
          consulKey,
          e.getMessage());
      announce(false, e.getMessage());
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
    fromFile = parsed;
    if (keyValue != null) {
      LOG.info("{}: {} changed; Consul key {} stays in force", owner, file, consulKey);
      return current;
    }
    listener.accept(parsed);
    current = parsed;
    return parsed;
  }

  private void announce(boolean applied, String error) {
    JsonObject event =
        new JsonObject()
            .put("applied", applied)
            .put("file", file)
            .put("source", source())
            .put("owner", owner);
    if (error != null) {
      event.put("error", error);
    }
    vertx.eventBus().publish(RELOAD_ADDRESS, event);
  }
}
