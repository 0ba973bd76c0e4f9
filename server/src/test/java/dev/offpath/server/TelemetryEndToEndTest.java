package dev.offpath.server;

import static dev.offpath.server.AccessLogFixtures.http;
import static dev.offpath.server.AccessLogFixtures.httpMessage;
import static dev.offpath.server.AccessLogFixtures.tcp;
import static dev.offpath.server.AccessLogFixtures.tcpMessage;
import static dev.offpath.server.ServerHarness.sum;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.config.ConfigWarning;
import dev.offpath.core.telemetry.DropReason;
import dev.offpath.core.testing.MixerReference;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Telemetry through a real server: access-log streams in, Istio's metrics out on the telemetry
 * port, counted exactly; the exposition passes {@code promtool check metrics}; Istio 1.0's
 * telemetry config loads as it stands; config reloads and shutdown keep every count.
 */
class TelemetryEndToEndTest {

  private static final String REVIEWS = AccessLogFixtures.REVIEWS;
  private static final String DETAILS = "outbound|9080||details.default.svc.cluster.local";

  @TempDir Path dir;
  private ServerHarness harness;

  @AfterEach
  void stop() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  /** A client stream on the harness's access-log service. */
  private final class Client extends AccessLogFixtures.Client {
    Client() {
      super(harness.accessLog);
    }
  }

  private static void await(LongSupplier value, long expected) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (value.getAsLong() < expected) {
      assertThat(System.nanoTime()).as("waiting for %d", expected).isLessThan(end);
      Thread.onSpinWait();
    }
  }

  @Test
  void theDefaultConfigCountsEveryEntryOnTheTelemetryPortAndPassesPromtool() throws Exception {
    harness = ServerHarness.start(List.of());
    int[] codes = {200, 404, 503};
    long[] perCode = new long[3];
    List<Client> clients = new ArrayList<>();
    long n = 0;
    for (int s = 0; s < 3; s++) {
      Client c = new Client();
      clients.add(c);
      for (int m = 0; m < 20; m++) {
        List<HTTPAccessLogEntry> entries = new ArrayList<>();
        for (int e = 0; e < 10; e++) {
          int k = (s + m + e) % 3;
          entries.add(http(e % 2 == 0 ? REVIEWS : DETAILS, codes[k]));
          perCode[k]++;
          n++;
        }
        c.requests.onNext(httpMessage(m == 0, entries));
      }
    }
    Client tcp = new Client();
    tcp.requests.onNext(tcpMessage(List.of(tcp(REVIEWS, 100, 7), tcp(REVIEWS, 50, 3))));
    clients.add(tcp);
    for (Client c : clients) {
      c.finish();
    }
    long total = n + 2;
    await(harness.server.reportPipeline()::dispatched, total);

    String mesh = harness.telemetryMetrics();
    for (int k = 0; k < 3; k++) {
      assertThat(sum(mesh, "istio_requests_total", "response_code", Integer.toString(codes[k])))
          .isEqualTo(perCode[k]);
    }
    assertThat(sum(mesh, "istio_requests_total")).isEqualTo(n);
    assertThat(
            sum(mesh, "istio_requests_total",
                "destination_service", "reviews.default.svc.cluster.local",
                "reporter", "source",
                "source_workload_namespace", "default",
                "request_protocol", "http"))
        .isEqualTo(n / 2);
    assertThat(sum(mesh, "istio_request_duration_seconds_count")).isEqualTo(n);
    assertThat(sum(mesh, "istio_response_bytes_sum")).isEqualTo(1000.0 * n);
    assertThat(sum(mesh, "istio_tcp_sent_bytes_total", "destination_service_name", "reviews"))
        .isEqualTo(150);
    assertThat(sum(mesh, "istio_tcp_received_bytes_total")).isEqualTo(10);
    Promtool.checkMetrics(mesh);

    String self = harness.metrics();
    assertThat(sum(self, "offpath_report_entries_received_total")).isEqualTo(total);
    assertThat(sum(self, "offpath_report_entries_dispatched_total")).isEqualTo(total);
    assertThat(sum(self, "offpath_report_entries_dropped_total")).isZero();
    assertThat(sum(self, "offpath_report_queue_depth")).isZero();
    assertThat(sum(self, "offpath_accesslog_streams_total")).isEqualTo(4);
    assertThat(
            sum(self, "mixer_runtime_dispatch_count_total",
                "adapter", "prometheus", "meshFunction", "metric", "error", "false"))
        .isPositive();
    assertThat(
            sum(self, "grpc_server_handled_total",
                "grpc_service", "envoy.service.accesslog.v3.AccessLogService", "grpc_code", "OK"))
        .isEqualTo(4);
    // Mixer's own names (mixer_config_*_count, the meshFunction label) break two lint rules on
    // purpose, for its runbooks; everything else, the telemetry metrics included, is clean.
    Promtool.checkMetrics(
        self,
        problem ->
            problem.matches(
                "(mixer_config_\\w+_count|offpath_config_warning_count) non-histogram and"
                    + " non-summary metrics should not have \"_count\" suffix")
                || problem.matches(
                    "mixer_runtime_dispatch_\\w+ label names should be written in 'snake_case'"
                        + " not 'camelCase'"));
  }

  @Test
  void istio10TelemetryConfigLoadsAsItStandsAndYieldsItsMetrics() throws Exception {
    harness = ServerHarness.start(List.of(MixerReference.file("istio-1.0-mixer-config.yaml")));
    List<String> warnings =
        harness.server.store().current().config().warnings().stream()
            .map(ConfigWarning::message)
            .toList();
    assertThat(warnings)
        .anySatisfy(w -> assertThat(w).contains("adapter 'kubernetesenv' is not supported"))
        .noneSatisfy(w -> assertThat(w).contains("prometheus"))
        .noneSatisfy(w -> assertThat(w).contains("stdio"));

    Client c = new Client();
    c.requests.onNext(httpMessage(true, List.of(http(REVIEWS, 200), http(DETAILS, 500))));
    c.requests.onNext(tcpMessage(List.of(tcp(REVIEWS, 10, 20))));
    c.finish();
    await(harness.server.reportPipeline()::dispatched, 3);

    String mesh = harness.telemetryMetrics();
    assertThat(sum(mesh, "istio_requests_total")).isEqualTo(2);
    assertThat(sum(mesh, "istio_request_duration_seconds_count")).isEqualTo(2);
    assertThat(sum(mesh, "istio_request_bytes_count")).isEqualTo(2);
    assertThat(sum(mesh, "istio_response_bytes_count")).isEqualTo(2);
    assertThat(sum(mesh, "istio_tcp_sent_bytes_total")).isEqualTo(10);
    assertThat(sum(mesh, "istio_tcp_received_bytes_total")).isEqualTo(20);
    assertThat(sum(mesh, "istio_request_bytes_bucket", "le", "10.0")).isEqualTo(2);
    Promtool.checkMetrics(mesh);
  }

  @Test
  void telemetryConfigFollowsReloadsAndKeepsUnchangedMetrics() throws Exception {
    Path config = dir.resolve("telemetry.yaml");
    String base =
        """
        apiVersion: config.istio.io/v1alpha2
        kind: metric
        metadata: {name: requestcount, namespace: istio-system}
        spec:
          value: "1"
          dimensions:
            response_code: response.code | 200
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: promhttp, namespace: istio-system}
        spec:
          match: context.protocol == "http"
          actions:
          - handler: handler.prometheus
            instances: [requestcount.metric]
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: prometheus
        metadata: {name: handler, namespace: istio-system}
        spec:
          metrics:
          - name: requests_total
            instance_name: requestcount.metric.istio-system
            kind: COUNTER
            label_names: [response_code]
        """;
    Files.writeString(config, base);
    harness = ServerHarness.start(ServerHarness.options(List.of(config), false));
    Client first = new Client();
    first.requests.onNext(httpMessage(true, List.of(http(REVIEWS, 200), http(REVIEWS, 200))));
    first.finish();
    await(harness.server.reportPipeline()::dispatched, 2);

    Files.writeString(
        config,
        base
            + """
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: metric
            metadata: {name: requestsize, namespace: istio-system}
            spec:
              value: request.size | 0
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: rule
            metadata: {name: sizes, namespace: istio-system}
            spec:
              actions:
              - handler: sizes.prometheus
                instances: [requestsize.metric]
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: prometheus
            metadata: {name: sizes, namespace: istio-system}
            spec:
              metrics:
              - name: request_bytes_total
                instance_name: requestsize.metric.istio-system
                kind: COUNTER
            """);
    assertThat(harness.server.reload()).isTrue();
    Client second = new Client();
    second.requests.onNext(httpMessage(true, List.of(http(REVIEWS, 200))));
    second.finish();
    await(harness.server.reportPipeline()::dispatched, 3);

    String mesh = harness.telemetryMetrics();
    // The unchanged handler was taken over: its count carries on across the reload.
    assertThat(sum(mesh, "istio_requests_total", "response_code", "200")).isEqualTo(3);
    assertThat(sum(mesh, "istio_request_bytes_total")).isEqualTo(10);
  }

  @Test
  void shutdownCompletesStreamsAndFlushesEverythingReceived() throws Exception {
    Path log = dir.resolve("access.log");
    Path config = dir.resolve("log.yaml");
    Files.writeString(
        config,
        """
        apiVersion: config.istio.io/v1alpha2
        kind: stdio
        metadata: {name: handler, namespace: istio-system}
        spec: {outputAsJson: true, logStream: FILE, outputPath: "%s"}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: logentry
        metadata: {name: accesslog, namespace: istio-system}
        spec:
          severity: '"Info"'
          variables:
            responseCode: response.code | 0
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: stdio, namespace: istio-system}
        spec:
          actions:
          - handler: handler.stdio
            instances: [accesslog.logentry]
        """
            .formatted(log));
    harness = ServerHarness.start(ServerHarness.options(List.of(config), false));
    Client c = new Client();
    int messages = 50;
    int perMessage = 200;
    for (int m = 0; m < messages; m++) {
      List<HTTPAccessLogEntry> entries = new ArrayList<>();
      for (int e = 0; e < perMessage; e++) {
        entries.add(http(REVIEWS, 200));
      }
      c.requests.onNext(httpMessage(m == 0, entries));
    }
    long n = (long) messages * perMessage;
    await(harness.server.reportPipeline()::received, n);

    harness.server.close();
    c.awaitDone();

    assertThat(harness.server.reportPipeline().dispatched()).isEqualTo(n);
    for (DropReason r : DropReason.values()) {
      assertThat(harness.server.reportPipeline().dropped(r)).as("%s", r).isZero();
    }
    // The handler was closed after the flush: every line is in the file.
    assertThat(Files.readAllLines(log)).hasSize((int) n);
  }
}
