package dev.offpath.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /debug/jfr} and {@code /debug/threads} on a real admin server. */
class DebugEndpointsTest {

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private AdminServer server;

  @BeforeEach
  void start() throws Exception {
    server =
        DebugEndpoints.register(
                AdminServer.builder().address("127.0.0.1", 0).registry(new PrometheusRegistry()).threads(3))
            .start();
  }

  @AfterEach
  void stop() {
    server.close();
    client.close();
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void jfrReturnsARecordingOfTheAskedDuration(@TempDir Path dir) throws Exception {
    HttpResponse<byte[]> r = get("/debug/jfr?seconds=1");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    assertThat(r.headers().firstValue("Content-Disposition").orElseThrow()).matches("attachment; filename=\"offpath-\\d{8}T\\d{6}Z\\.jfr\"");
    Path file = dir.resolve("r.jfr");
    Files.write(file, r.body());
    Set<String> types = new HashSet<>();
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      types.add(e.getEventType().getName());
    }
    // Events JFR writes in every chunk, and the heap settings: a real recording of this JVM.
    assertThat(types).contains("jdk.JVMInformation", "jdk.GCConfiguration");
  }

  @Test
  void jfrRejectsDurationsOutOfBounds() throws Exception {
    for (String bad : new String[] {"0", "61", "-1", "abc", "1e3"}) {
      HttpResponse<byte[]> r = get("/debug/jfr?seconds=" + bad);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(new String(r.body())).startsWith("seconds: ").contains("1..60");
    }
  }

  @Test
  void oneJfrRecordingAtATime() throws Exception {
    CompletableFuture<HttpResponse<byte[]>> first =
        client.sendAsync(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/debug/jfr?seconds=3")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    // Until the first one has started, a second request may still win the race; poll for the 429.
    int status = 0;
    for (int i = 0; i < 100 && status != 429 && !first.isDone(); i++) {
      Thread.sleep(20);
      status = get("/debug/jfr?seconds=1").statusCode();
      if (status == 200) {
        break;
      }
    }
    assertThat(status).isEqualTo(429);
    assertThat(first.get().statusCode()).isEqualTo(200);
  }

  @Test
  void threadsIsAJstackStyleDump() throws Exception {
    HttpResponse<byte[]> r = get("/debug/threads");
    assertThat(r.statusCode()).isEqualTo(200);
    String dump = new String(r.body());
    assertThat(dump).contains("Full thread dump").contains("\"offpath-admin-").contains("java.lang.Thread.State");
  }

  @Test
  void loopbackOnlyEndpointsRefuseOtherPeersUnlessSecured() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    InetAddress remote = InetAddress.getByName("10.1.2.3");
    assertThat(AdminServer.permits(true, false, loopback)).isTrue();
    assertThat(AdminServer.permits(true, false, InetAddress.getByName("::1"))).isTrue();
    assertThat(AdminServer.permits(true, false, remote)).isFalse();
    assertThat(AdminServer.permits(true, true, remote)).isTrue();
    assertThat(AdminServer.permits(false, false, remote)).isTrue();
  }
}
