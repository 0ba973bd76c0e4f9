package dev.offpath.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real Zipkin server ({@code io.zipkin:zipkin-server}'s exec jar, copied to {@code
 * target/zipkin/} by the build) started with {@code java -jar} on a free loopback port, in-memory
 * storage. Close it after the tests.
 */
@SuppressWarnings("try") // close() waits for the server to exit, so it may be interrupted
final class ZipkinServer implements AutoCloseable {

  static final Path JAR = Path.of("target", "zipkin", "zipkin-server-exec.jar");

  private final Process process;
  private final Path log;
  private final int port;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  private ZipkinServer(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  static ZipkinServer start() throws Exception {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(JAR + " missing: run the build's generate-test-resources phase");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    Path log = Files.createTempFile("zipkin-", ".log");
    Process process =
        new ProcessBuilder(
                java,
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                JAR.toString(),
                "--armeria.ports[0].ip=127.0.0.1",
                "--armeria.ports[0].port=" + port,
                "--armeria.ports[0].protocols=http")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    ZipkinServer zipkin = new ZipkinServer(process, log, port);
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
      while (!zipkin.healthy()) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IOException("zipkin did not start:\n" + Files.readString(log));
        }
        Thread.sleep(200);
      }
      return zipkin;
    } catch (Exception e) {
      zipkin.close();
      throw e;
    }
  }

  private boolean healthy() {
    try {
      return get("/health").statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Where Offpath sends spans. */
  String spansUrl() {
    return "http://127.0.0.1:" + port + "/api/v2/spans";
  }

  /** The spans Zipkin holds for {@code traceId} (an empty array when none). */
  JsonNode trace(String traceId) throws IOException, InterruptedException {
    HttpResponse<String> r = get("/api/v2/trace/" + traceId);
    return r.statusCode() == 404 ? json.createArrayNode() : json.readTree(r.body());
  }

  /** Traces of service {@code offpath} with a span named {@code spanName}. */
  JsonNode traces(String spanName) throws IOException, InterruptedException {
    return json.readTree(get("/api/v2/traces?serviceName=offpath&limit=100&spanName=" + spanName).body());
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    Files.deleteIfExists(log);
  }
}
