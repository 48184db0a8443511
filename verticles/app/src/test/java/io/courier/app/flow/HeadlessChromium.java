package io.courier.app.flow;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debian's Chromium, headless in a profile of its own, driven over the Chrome DevTools Protocol on
 * one page with a Vert.x WebSocket client: navigate, evaluate JavaScript, wait for the page to show
 * something, take a screenshot. {@link #close()} kills it and its children by pid.
 */
final class HeadlessChromium implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/bin/chromium");

  private static final Logger LOG = LoggerFactory.getLogger(HeadlessChromium.class);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

  private final Process process;
  private final WebSocket page;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, Promise<JsonObject>> pending = new ConcurrentHashMap<>();

  private HeadlessChromium(Process process, WebSocket page) {
    this.process = process;
    this.page = page;
    page.textMessageHandler(this::received);
  }

  /**
   * Starts Chromium with {@code userDataDir} as its profile and connects to its first page.
   *
   * @throws AssertionError when {@link #BINARY} is absent: CI installs it, so a test must not pass
   *     without it
   */
  static HeadlessChromium launch(Vertx vertx, Path userDataDir, Duration startTimeout)
      throws Exception {
    if (!Files.isExecutable(BINARY)) {
      throw new AssertionError(
          BINARY
              + " is missing: the console's browser test needs Debian's chromium"
              + " (apt-get install -y chromium; .ci/run installs it)");
    }
    Process process =
        new ProcessBuilder(
                List.of(
                    BINARY.toString(),
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--window-size=1400,1000",
                    "--user-data-dir=" + userDataDir,
                    "--remote-debugging-port=0",
                    "about:blank"))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      Thread pump =
          new Thread(
              () -> {
                try (BufferedReader err =
                    new BufferedReader(
                        new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = err.readLine()) != null) {
                    LOG.debug("[chromium] {}", line);
                  }
                } catch (IOException e) {
                  LOG.debug("chromium's stderr closed");
                }
              },
              "chromium-stderr");
      pump.setDaemon(true);
      pump.start();
      int port = devToolsPort(process, userDataDir, startTimeout);
      LOG.info("chromium pid {} has DevTools on 127.0.0.1:{}", process.pid(), port);
      String pageTarget = firstPage(vertx, port);
      WebSocket socket =
          vertx
              .createWebSocketClient(
                  new WebSocketClientOptions()
                      .setMaxFrameSize(64 * 1024 * 1024)
                      .setMaxMessageSize(64 * 1024 * 1024))
              .connect(
                  new WebSocketConnectOptions()
                      .setHost("127.0.0.1")
                      .setPort(port)
                      .setURI(URI.create(pageTarget).getPath())
                      .setAllowOriginHeader(false))
              .await(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
      return new HeadlessChromium(process, socket);
    } catch (Exception | AssertionError e) {
      kill(process);
      throw e;
    }
  }

  /**
   * The port in {@code <userDataDir>/DevToolsActivePort} (its first line; the second is the
   * browser's path), which Chromium writes once DevTools listens: woken by the file system as the
   * file appears, until {@code timeout} or until Chromium exits.
   */
  private static int devToolsPort(Process process, Path userDataDir, Duration timeout)
      throws Exception {
    Path file = userDataDir.resolve("DevToolsActivePort");
    try (WatchService watch = userDataDir.getFileSystem().newWatchService()) {
      userDataDir.register(
          watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
      long end = System.nanoTime() + timeout.toNanos();
      while (true) {
        if (Files.isRegularFile(file)) {
          List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
          if (lines.size() >= 2 && lines.get(0).strip().matches("\\d+")) {
            return Integer.parseInt(lines.get(0).strip());
          }
        }
        if (!process.isAlive()) {
          throw new AssertionError("chromium exited with " + process.exitValue() + " at start");
        }
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("chromium wrote no " + file + " within " + timeout);
        }
        WatchKey key =
            watch.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(500)), TimeUnit.NANOSECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      }
    }
  }

  /** The DevTools WebSocket URL of the browser's first page (about:blank). */
  private static String firstPage(Vertx vertx, int port) throws Exception {
    io.vertx.core.json.JsonArray targets =
        vertx
            .createHttpClient()
            .request(io.vertx.core.http.HttpMethod.GET, port, "127.0.0.1", "/json/list")
            .compose(request -> request.send().compose(response -> response.body()))
            .map(body -> body.toJsonArray())
            .await(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    for (int i = 0; i < targets.size(); i++) {
      JsonObject target = targets.getJsonObject(i);
      if ("page".equals(target.getString("type"))) {
        return target.getString("webSocketDebuggerUrl");
      }
    }
    throw new AssertionError("chromium shows no page: " + targets.encode());
  }

  private void received(String text) {
    JsonObject message = new JsonObject(text);
    Long id = message.getLong("id");
    if (id == null) {
      return; // an event; this driver waits by evaluating, not by events
    }
    Promise<JsonObject> promise = pending.remove(id);
    if (promise == null) {
      return;
    }
    if (message.containsKey("error")) {
      promise.fail(new AssertionError("DevTools: " + message.getJsonObject("error").encode()));
    } else {
      promise.complete(message.getJsonObject("result", new JsonObject()));
    }
  }

  /** One DevTools command; its result. */
  JsonObject call(String method, JsonObject params) {
    long id = ids.incrementAndGet();
    Promise<JsonObject> promise = Promise.promise();
    pending.put(id, promise);
    Future<JsonObject> answer = promise.future();
    page.writeTextMessage(
            new JsonObject().put("id", id).put("method", method).put("params", params).encode())
        .onFailure(promise::tryFail);
    try {
      return answer.await(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      pending.remove(id);
      throw new AssertionError("DevTools did not answer " + method + " within " + CALL_TIMEOUT);
    }
  }

  /** Opens {@code url} and waits until its document has loaded. */
  void navigate(String url) {
    call("Page.enable", new JsonObject());
    call("Page.navigate", new JsonObject().put("url", url));
    waitFor("the page at " + url + " loaded", "document.readyState === 'complete'", CALL_TIMEOUT);
  }

  /** The value of a JavaScript expression in the page (awaited when it is a promise). */
  Object evaluate(String expression) {
    JsonObject result =
        call(
            "Runtime.evaluate",
            new JsonObject()
                .put("expression", expression)
                .put("awaitPromise", true)
                .put("returnByValue", true)
                .put("userGesture", true));
    if (result.containsKey("exceptionDetails")) {
      JsonObject details = result.getJsonObject("exceptionDetails");
      JsonObject exception = details.getJsonObject("exception", new JsonObject());
      throw new AssertionError(
          "the page threw: " + exception.getString("description", details.getString("text")));
    }
    return result.getJsonObject("result").getValue("value");
  }

  /** The text of the element {@code selector} selects, as the page renders it. */
  String text(String selector) {
    return String.valueOf(
        evaluate("(document.querySelector(" + quote(selector) + ") || {innerText: ''}).innerText"));
  }

  /**
   * Waits in the page until {@code condition} (a JavaScript expression) is truthy; fails with
   * {@code what} when it is not within {@code timeout}. The page checks every 100 ms itself.
   */
  Object waitFor(String what, String condition, Duration timeout) {
    String script =
        "new Promise((resolve, reject) => {"
            + " const end = Date.now() + "
            + timeout.toMillis()
            + "; (function check() { let v; try { v = ("
            + condition
            + "); } catch (e) { v = undefined; }"
            + " if (v) { resolve(v); } else if (Date.now() > end) {"
            + " reject(new Error('not within "
            + timeout.toMillis()
            + " ms: ' + "
            + quote(what)
            + ")); } else { setTimeout(check, 100); } })(); })";
    JsonObject result =
        call(
            "Runtime.evaluate",
            new JsonObject()
                .put("expression", script)
                .put("awaitPromise", true)
                .put("returnByValue", true)
                .put("timeout", timeout.toMillis() + 5_000));
    if (result.containsKey("exceptionDetails")) {
      JsonObject details = result.getJsonObject("exceptionDetails");
      throw new AssertionError(
          details.getJsonObject("exception", new JsonObject()).getString("description", what));
    }
    return result.getJsonObject("result").getValue("value");
  }

  /** A PNG of the whole page. */
  byte[] screenshot() {
    JsonObject shot =
        call(
            "Page.captureScreenshot",
            new JsonObject().put("format", "png").put("captureBeyondViewport", true));
    return java.util.Base64.getDecoder().decode(shot.getString("data"));
  }

  /** A JavaScript string literal of {@code text}. */
  static String quote(String text) {
    return io.vertx.core.json.Json.encode(text);
  }

  @Override
  public void close() {
    page.close();
    kill(process);
  }

  /** Kills chromium and every process it started, by pid. */
  private static void kill(Process process) {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        LOG.warn("chromium pid {} did not stop within 10 s", process.pid());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
