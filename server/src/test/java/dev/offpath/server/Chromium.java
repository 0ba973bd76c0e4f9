package dev.offpath.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A real headless Debian {@code chromium} (the package, {@code /usr/bin/chromium}) driven over the
 * DevTools protocol: one page, navigate, evaluate JavaScript in it, take a screenshot. A fresh
 * profile in a temporary directory, no network beyond loopback (background networking, component
 * updates and sync are off), DevTools on a picked loopback port. Close it after the test.
 */
@SuppressWarnings("try") // close() waits for the browser to exit, so it may be interrupted
final class Chromium implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/bin/chromium");

  private final ObjectMapper json = new ObjectMapper();
  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

  private Chromium(Process process, Path profile, WebSocket socket) {
    this.process = process;
    this.profile = profile;
    this.socket = socket;
  }

  static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  static Chromium start(int width, int height) throws Exception {
    Path profile = Files.createTempDirectory("offpath-chromium-");
    Process process =
        new ProcessBuilder(
                BINARY.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",
                "--user-data-dir=" + profile,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--window-size=" + width + "," + height,
                "about:blank")
            .redirectErrorStream(true)
            .redirectOutput(profile.resolve("chromium.log").toFile())
            .start();
    try {
      Path activePort = profile.resolve("DevToolsActivePort");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(activePort) || Files.readAllLines(activePort).isEmpty()) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IOException(
              "chromium did not start DevTools: " + Files.readString(profile.resolve("chromium.log")));
        }
        Thread.sleep(50);
      }
      int port = Integer.parseInt(Files.readAllLines(activePort).get(0).strip());
      HttpClient http = HttpClient.newHttpClient();
      String pageSocket = null;
      while (pageSocket == null) {
        JsonNode targets =
            new ObjectMapper()
                .readTree(
                    http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                            HttpResponse.BodyHandlers.ofString())
                        .body());
        for (JsonNode t : targets) {
          if ("page".equals(t.path("type").asText())) {
            pageSocket = t.path("webSocketDebuggerUrl").asText();
          }
        }
        if (pageSocket == null) {
          if (System.nanoTime() > deadline) {
            throw new IOException("chromium has no page target: " + targets);
          }
          Thread.sleep(50);
        }
      }
      Listener listener = new Listener();
      WebSocket socket =
          http.newWebSocketBuilder().buildAsync(URI.create(pageSocket), listener).get(30, TimeUnit.SECONDS);
      Chromium chromium = new Chromium(process, profile, socket);
      listener.owner = chromium;
      chromium.call("Page.enable", Map.of());
      chromium.call("Runtime.enable", Map.of());
      return chromium;
    } catch (Exception e) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      deleteTree(profile);
      throw e;
    }
  }

  /** Sends one DevTools command and waits for its result (or fails with its error). */
  JsonNode call(String method, Map<String, ?> params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    pending.put(id, answer);
    ObjectNode message = json.createObjectNode();
    message.put("id", id);
    message.put("method", method);
    message.set("params", json.valueToTree(params));
    socket.sendText(json.writeValueAsString(message), true).get(30, TimeUnit.SECONDS);
    JsonNode reply = answer.get(60, TimeUnit.SECONDS);
    if (reply.has("error")) {
      throw new IOException(method + " failed: " + reply.get("error"));
    }
    return reply.path("result");
  }

  /** Loads {@code url} and waits until the document has loaded. */
  void navigate(String url) throws Exception {
    call("Page.navigate", Map.of("url", url));
    waitFor("document.readyState === 'complete' && location.href === " + json.writeValueAsString(url), Duration.ofSeconds(30));
  }

  /** Evaluates {@code expression} in the page; its value as JSON (awaiting a promise). */
  JsonNode evaluate(String expression) throws Exception {
    JsonNode r =
        call(
            "Runtime.evaluate",
            Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
    if (r.has("exceptionDetails")) {
      throw new IOException("evaluation failed: " + r.get("exceptionDetails"));
    }
    return r.path("result").path("value");
  }

  /** Polls {@code expression} until it is true; fails after {@code timeout}. */
  void waitFor(String expression, Duration timeout) throws Exception {
    waitUntil(expression, JsonNode::asBoolean, timeout);
  }

  /** Polls {@code expression} until {@code done} accepts its value, which is returned. */
  JsonNode waitUntil(String expression, Predicate<JsonNode> done, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode value = evaluate(expression);
    while (!done.test(value)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + expression + "; last value: " + value);
      }
      Thread.sleep(100);
      value = evaluate(expression);
    }
    return value;
  }

  /** A PNG of the whole page (beyond the viewport), written to {@code file}. */
  void screenshot(Path file) throws Exception {
    JsonNode r =
        call("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true));
    Files.createDirectories(file.getParent());
    Files.write(file, Base64.getDecoder().decode(r.path("data").asText()));
  }

  @Override
  public void close() throws Exception {
    try {
      socket.abort();
    } finally {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      // Chromium's helper processes of this profile exit with the browser.
      ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
      deleteTree(profile);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // Best effort: a helper process may still hold a file for a moment.
    }
  }

  private void received(String text) {
    try {
      JsonNode message = json.readTree(text);
      if (message.has("id")) {
        CompletableFuture<JsonNode> f = pending.remove(message.get("id").asInt());
        if (f != null) {
          f.complete(message);
        }
      }
    } catch (IOException e) {
      pending.values().forEach(f -> f.completeExceptionally(e));
    }
  }

  /** Reassembles text frames into messages. */
  private static final class Listener implements WebSocket.Listener {
    volatile Chromium owner;
    private final StringBuilder buffer = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      buffer.append(data);
      if (last) {
        String text = buffer.toString();
        buffer.setLength(0);
        owner.received(text);
      }
      socket.request(1);
      return null;
    }
  }
}
