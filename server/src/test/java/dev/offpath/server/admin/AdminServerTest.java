package dev.offpath.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminServerTest {

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final AtomicBoolean ready = new AtomicBoolean();
  private final AtomicReference<String> config = new AtomicReference<>("{\"rules\":[]}");
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private AdminServer server;

  @BeforeEach
  void start() throws IOException {
    Counter.builder().name("offpath_test_events").labelNames("kind").register(registry)
        .labelValues("a").inc(3);
    server =
        AdminServer.builder()
            .address("127.0.0.1", 0)
            .registry(registry)
            .readiness(ready::get)
            .config(config::get)
            .debugVars(() -> "{\"uptime_seconds\":5}")
            .page("/boom", "text/plain", () -> { throw new IllegalStateException("boom"); })
            .start();
  }

  @AfterEach
  void stop() {
    server.close();
    client.close();
  }

  @Test
  void bindsThePickedPortOnLoopback() {
    assertThat(server.port()).isPositive();
    assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
  }

  @Test
  void healthz() throws Exception {
    HttpResponse<String> response = get("/healthz");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("ok\n");
  }

  @Test
  void readyzFollowsTheReadinessCheck() throws Exception {
    assertThat(get("/readyz").statusCode()).isEqualTo(503);
    ready.set(true);
    HttpResponse<String> response = get("/readyz");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("ready\n");
  }

  @Test
  void metricsInPrometheusTextFormat() throws Exception {
    HttpResponse<String> response = get("/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(response.body())
        .contains("# TYPE offpath_test_events_total counter\n")
        .contains("offpath_test_events_total{kind=\"a\"} 3.0\n");
  }

  @Test
  void metricsInOpenMetricsWhenAsked() throws Exception {
    HttpResponse<String> response =
        client.send(
            request("/metrics")
                .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/openmetrics-text");
    assertThat(response.body())
        .contains("# TYPE offpath_test_events counter\n")
        .contains("offpath_test_events_total{kind=\"a\"} 3.0\n")
        .endsWith("# EOF\n");
  }

  @Test
  void configIsReadOnEachRequest() throws Exception {
    HttpResponse<String> response = get("/config");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(response.body()).isEqualTo("{\"rules\":[]}");

    config.set("{\"rules\":[\"deny\"]}");
    assertThat(get("/config").body()).isEqualTo("{\"rules\":[\"deny\"]}");
  }

  @Test
  void debugVars() throws Exception {
    HttpResponse<String> response = get("/debug/vars");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(response.body()).isEqualTo("{\"uptime_seconds\":5}");
  }

  @Test
  void unknownPathsAreNotFound() throws Exception {
    assertThat(get("/nope").statusCode()).isEqualTo(404);
    assertThat(get("/metrics/extra").statusCode()).isEqualTo(404);
    assertThat(get("/").statusCode()).isEqualTo(404);
  }

  @Test
  void onlyGetIsAllowed() throws Exception {
    HttpResponse<String> response =
        client.send(
            request("/healthz").POST(HttpRequest.BodyPublishers.ofString("x")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.headers().firstValue("Allow")).hasValue("GET");
    assertThat(
            client
                .send(request("/metrics").DELETE().build(), HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(405);
  }

  @Test
  void failingSupplierIsAServerErrorAndTheServerStaysUp() throws Exception {
    assertThat(get("/boom").statusCode()).isEqualTo(500);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void closeStopsListening() throws Exception {
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    server.close();
    try (HttpClient fresh = HttpClient.newHttpClient()) {
      assertThatThrownBy(
              () -> fresh.send(request("/healthz").build(), HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(ConnectException.class);
    }
  }

  @Test
  void builderRejectsBadOptions() {
    assertThatThrownBy(() -> AdminServer.builder().address("127.0.0.1", -1))
        .hasMessage("port: -1 (expected: 0..65535)");
    assertThatThrownBy(() -> AdminServer.builder().page("/metrics", "text/plain", () -> ""))
        .hasMessage("path: /metrics (expected: not a built-in endpoint)");
    assertThatThrownBy(() -> AdminServer.builder().page("x", "text/plain", () -> ""))
        .hasMessage("path: x (expected: starts with /)");
    assertThatThrownBy(() -> AdminServer.builder().address("127.0.0.1", 0).start())
        .hasMessage("registry: not set (expected: registry(...) before start())");
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return client.send(request(path).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(Duration.ofSeconds(10));
  }
}
