package dev.offpath.server.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import dev.offpath.core.remote.RemoteTemplate;
import dev.offpath.core.remote.RemoteTemplates;
import dev.offpath.core.testing.MixerReference;
import dev.offpath.server.OffpathServer;
import dev.offpath.server.SecurityOptions;
import dev.offpath.server.ServerOptions;
import dev.offpath.server.decisions.DecisionLogOptions;
import dev.offpath.server.tracing.TracingOptions;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.HTTPAccessLogEntries;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.Identifier;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report path of an out-of-process adapter through a real Offpath: Istio's prometheus adapter
 * run out of process ({@code oop/template-metric.yaml}, {@code prometheus-nosession.yaml}, {@code
 * metricsoop.yaml}, {@code prometheusoop.yaml}; only the handler's address replaced) and a real
 * gRPC metric adapter ({@link ReportMetricAdapter}) reading each call with the template's
 * descriptor. 20,000 access-log entries over real AccessLogService streams become exactly 20,000
 * {@code requestcount} and 20,000 {@code requestsize} instances at the adapter, with the right
 * values, in a few hundred calls at most; the handler's dispatches and calls show on {@code
 * /metrics}. Then the adapter turns slow (answers after its deadline) and goes down: every instance
 * is delivered or counted as dropped by reason, none unaccounted.
 */
class ReportOutOfProcessEndToEndTest {

  private static final Pattern DESCRIPTOR =
      Pattern.compile("(?m)^\\s*descriptor:\\s*\"?([A-Za-z0-9+/=]+)\"?\\s*$");
  private static final String HANDLER = "prometheus-handler.handler.istio-system";
  private static final String REQUEST_COUNT = "requestcount.instance.istio-system";
  private static final String REQUEST_SIZE = "requestsize.instance.istio-system";
  private static final String CLUSTER = "outbound|9080||reviews.default.svc.cluster.local";
  private static final int[] CODES = {200, 404, 503};
  private static final int STREAMS = 4;
  private static final int MESSAGES = 50;
  private static final int PER_MESSAGE = 100;
  private static final int ENTRIES = STREAMS * MESSAGES * PER_MESSAGE;
  private static final int BODY_BYTES = 10;
  /**
   * connection.timeout, added to Istio's handler: the default (1 s) is too short for a call of
   * ~700 instances decoded with DynamicMessage on a shared, loaded test machine, and a call that
   * times out is counted as dropped even when the adapter got it.
   */
  private static final String TIMEOUT = "10s";

  @TempDir Path dir;
  private OffpathServer server;
  private ManagedChannel channel;
  private ReportMetricAdapter adapter;
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
    if (adapter != null) {
      adapter.close();
    }
  }

  @Test
  void twentyThousandEntriesBecomeExactlyTheirMetricInstancesInBatchesAndFailuresAreCounted()
      throws Exception {
    adapter = new ReportMetricAdapter(template("metric"));
    start();
    AccessLogServiceGrpc.AccessLogServiceStub stub = AccessLogServiceGrpc.newStub(channel);

    long[] perCode = new long[CODES.length];
    List<Stream> streams = new ArrayList<>();
    int n = 0;
    for (int s = 0; s < STREAMS; s++) {
      Stream stream = new Stream(stub);
      streams.add(stream);
      for (int m = 0; m < MESSAGES; m++) {
        List<HTTPAccessLogEntry> entries = new ArrayList<>(PER_MESSAGE);
        for (int e = 0; e < PER_MESSAGE; e++) {
          int k = n++ % CODES.length;
          perCode[k]++;
          entries.add(entry(CODES[k]));
        }
        stream.requests.onNext(message(m == 0, entries));
      }
    }
    for (Stream s : streams) {
      s.finish();
    }
    await(server.reportPipeline()::dispatched, ENTRIES);
    await(adapter.instances::sum, 2L * ENTRIES);
    String metrics = awaitMetrics(2L * ENTRIES);

    // Exactly one instance of each kind per entry at the adapter, counted by response code.
    assertThat(adapter.instances.sum()).isEqualTo(2L * ENTRIES);
    for (int k = 0; k < CODES.length; k++) {
      String code = "int64_value:" + CODES[k];
      assertThat(adapter.count(REQUEST_COUNT, code)).as("requestcount %s", code).isEqualTo(perCode[k]);
      assertThat(adapter.count(REQUEST_SIZE, code)).as("requestsize %s", code).isEqualTo(perCode[k]);
    }
    assertThat(adapter.valueSum(REQUEST_COUNT)).isEqualTo(ENTRIES); // value: "1"
    assertThat(adapter.valueSum(REQUEST_SIZE)).isEqualTo((long) BODY_BYTES * ENTRIES);
    // In batches: many instances per call, far fewer calls than entries.
    long calls = adapter.calls.sum();
    assertThat(calls).isPositive().isLessThan(ENTRIES / 20);
    assertThat(adapter.largestCall.get()).isGreaterThan(2L * PER_MESSAGE);

    // A sample, field by field: the full instance name, the value expression's type and the
    // dimensions with their defaults (the access log carries no Istio 1.0 service attributes).
    Message first = adapter.samples.get(0);
    String name = (String) first.getField(ReportMetricAdapter.field(first.getDescriptorForType(), "name"));
    assertThat(name).isIn(REQUEST_COUNT, REQUEST_SIZE);
    Map<String, Object> dims = ReportMetricAdapter.dimensions(first);
    assertThat(dims.keySet())
        .containsExactlyInAnyOrder(
            "source_service", "source_version", "destination_service", "destination_version",
            "response_code");
    assertThat(dims.get("source_service")).isEqualTo("string_value:unknown");
    assertThat(dims.get("source_version")).isEqualTo("string_value:unknown");
    assertThat(dims.get("destination_service")).isEqualTo("string_value:unknown");
    assertThat(dims.get("destination_version"))
        .isEqualTo(name.equals(REQUEST_COUNT) ? "string_value:unknownw" : "string_value:unknown");
    // Streams interleave: the first instance the adapter saw is from any stream's first entry.
    assertThat(dims.get("response_code"))
        .isIn("int64_value:" + CODES[0], "int64_value:" + CODES[1], "int64_value:" + CODES[2]);
    // Each call carries the handler's params as adapter_config and a dedup id.
    Message request = adapter.requestSamples.get(0);
    Message adapterConfig =
        (Message) request.getField(ReportMetricAdapter.field(request.getDescriptorForType(), "adapter_config"));
    assertThat(
            (String) adapterConfig.getField(
                ReportMetricAdapter.field(adapterConfig.getDescriptorForType(), "type_url")))
        .endsWith(".Params");
    assertThat(
            (ByteString) adapterConfig.getField(
                ReportMetricAdapter.field(adapterConfig.getDescriptorForType(), "value")))
        .isNotEmpty();
    assertThat(
            (String) request.getField(ReportMetricAdapter.field(request.getDescriptorForType(), "dedup_id")))
        .isNotEmpty();

    // Self-monitoring: one dispatch per call (a pipeline batch, at most 355 entries here, is one
    // call: far below the 1 MiB split), counted when the call ends; calls by result;
    // instances per call; nothing in flight, nothing dropped.
    assertThat(sum(metrics, "mixer_runtime_dispatch_count_total", "handler", HANDLER,
            "meshFunction", "metric", "error", "false"))
        .as("%s", lines(metrics, HANDLER))
        .isEqualTo(calls);
    assertThat(sum(metrics, "mixer_runtime_dispatch_duration_seconds_count", "handler", HANDLER,
            "meshFunction", "metric", "error", "false"))
        .isEqualTo(calls);
    assertThat(sum(metrics, "mixer_runtime_dispatch_count_total", "handler", HANDLER, "error", "true"))
        .isZero();
    assertThat(sum(metrics, "offpath_adapter_calls_total", "handler", HANDLER, "result", "ok"))
        .isEqualTo(calls);
    assertThat(sum(metrics, "offpath_adapter_report_calls_total", "handler", HANDLER))
        .isEqualTo(calls);
    assertThat(sum(metrics, "offpath_adapter_report_instances_total", "handler", HANDLER))
        .isEqualTo(2.0 * ENTRIES);
    assertThat(metrics).contains("offpath_adapter_calls_in_flight{");
    assertThat(sum(metrics, "offpath_adapter_calls_in_flight", "handler", HANDLER)).isZero();
    assertThat(sum(metrics, "offpath_adapter_dropped_instances_total", "handler", HANDLER)).isZero();

    // The adapter answers after its deadline (connection.timeout), then is gone.
    adapter.delayMillis = 60_000;
    adapter.slow = true;
    int slowEntries = send(stub, 4);
    await(server.reportPipeline()::dispatched, ENTRIES + slowEntries);
    metrics = awaitMetrics(2L * (ENTRIES + slowEntries));
    assertThat(sum(metrics, "offpath_adapter_report_instances_total", "handler", HANDLER))
        .isEqualTo(2.0 * ENTRIES);
    assertThat(sum(metrics, "offpath_adapter_dropped_instances_total", "handler", HANDLER))
        .isEqualTo(2.0 * slowEntries);
    assertThat(sum(metrics, "offpath_adapter_dropped_instances_total", "handler", HANDLER,
            "reason", "timeout"))
        .isPositive();
    assertThat(sum(metrics, "offpath_adapter_calls_total", "handler", HANDLER, "result", "timeout"))
        .isPositive();

    adapter.close();
    int downEntries = send(stub, 4);
    long total = ENTRIES + slowEntries + downEntries;
    await(server.reportPipeline()::dispatched, total);
    metrics = awaitMetrics(2 * total);

    double delivered = sum(metrics, "offpath_adapter_report_instances_total", "handler", HANDLER);
    double dropped = sum(metrics, "offpath_adapter_dropped_instances_total", "handler", HANDLER);
    assertThat(delivered).isEqualTo(2.0 * ENTRIES);
    assertThat(delivered + dropped).isEqualTo(2.0 * total);
    assertThat(
            sum(metrics, "offpath_adapter_dropped_instances_total", "handler", HANDLER, "reason", "unavailable")
                + sum(metrics, "offpath_adapter_dropped_instances_total", "handler", HANDLER,
                    "reason", "circuit_open"))
        .isPositive();
    assertThat(sum(metrics, "offpath_adapter_dropped_instances_total", "handler", HANDLER, "reason", "invalid"))
        .isZero();
    // The failed deliveries are failed dispatches, as a built-in handler that threw.
    assertThat(sum(metrics, "mixer_runtime_dispatch_count_total", "handler", HANDLER, "error", "true"))
        .isPositive();
    assertThat(sum(metrics, "mixer_runtime_dispatch_count_total", "handler", HANDLER, "error", "false"))
        .isEqualTo(calls);
    assertThat(sum(metrics, "offpath_adapter_calls_in_flight", "handler", HANDLER)).isZero();
    assertThat(sum(metrics, "offpath_report_entries_dropped_total")).isZero();
  }

  /** Sends {@code messages} messages of {@value #PER_MESSAGE} entries on a new stream. */
  private static int send(AccessLogServiceGrpc.AccessLogServiceStub stub, int messages)
      throws InterruptedException {
    Stream stream = new Stream(stub);
    for (int m = 0; m < messages; m++) {
      List<HTTPAccessLogEntry> entries = new ArrayList<>(PER_MESSAGE);
      for (int e = 0; e < PER_MESSAGE; e++) {
        entries.add(entry(200));
      }
      stream.requests.onNext(message(m == 0, entries));
    }
    stream.finish();
    return messages * PER_MESSAGE;
  }

  private void start() throws Exception {
    Path config = Files.createDirectories(dir.resolve("config"));
    for (String f : List.of("template-metric.yaml", "prometheus-nosession.yaml", "metricsoop.yaml")) {
      Files.copy(MixerReference.file("oop/" + f), config.resolve(f));
    }
    Files.writeString(
        config.resolve("prometheusoop.yaml"),
        Files.readString(MixerReference.file("oop/prometheusoop.yaml"))
            .replace(
                "address: \"prometheusadapter:8080\"",
                "address: \"127.0.0.1:" + adapter.port() + "\"\n    timeout: " + TIMEOUT));
    server =
        OffpathServer.start(
            new ServerOptions(
                List.of(config), "127.0.0.1", 0, "127.0.0.1", 0, 0, 1 << 20, false, 10_000,
                Duration.ofSeconds(5), false, 0, ServerOptions.DEFAULT_REPORT_WORKERS,
                ServerOptions.DEFAULT_REPORT_QUEUE, SecurityOptions.DEFAULTS, DecisionLogOptions.OFF,
                TracingOptions.OFF));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  /**
   * /metrics once the handler has accounted for {@code instances} instances (delivered or dropped)
   * and no call is in flight: a call's outcome is counted when it ends, after the pipeline has
   * dispatched its entries.
   */
  private String awaitMetrics(long instances) throws IOException, InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      String metrics = metrics();
      double accounted =
          sum(metrics, "offpath_adapter_report_instances_total", "handler", HANDLER)
              + sum(metrics, "offpath_adapter_dropped_instances_total", "handler", HANDLER);
      double dispatches = sum(metrics, "mixer_runtime_dispatch_count_total", "handler", HANDLER);
      double calls =
          sum(metrics, "offpath_adapter_calls_total", "handler", HANDLER)
              - sum(metrics, "offpath_adapter_calls_total", "handler", HANDLER, "result", "circuit_open")
              - sum(metrics, "offpath_adapter_calls_total", "handler", HANDLER, "result", "overloaded");
      boolean settled =
          accounted >= instances
              && sum(metrics, "offpath_adapter_calls_in_flight", "handler", HANDLER) == 0
              && dispatches >= calls;
      if (settled) {
        return metrics;
      }
      assertThat(System.nanoTime())
          .as("waiting for %d instances accounted for: %s", instances, accounted)
          .isLessThan(end);
      Thread.sleep(20);
    }
  }

  /** The exposition's sample lines that mention {@code text}, for failure messages. */
  private static String lines(String exposition, String text) {
    StringBuilder out = new StringBuilder();
    for (String line : exposition.split("\n")) {
      if (line.contains(text) && !line.contains("_bucket{")) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  private static void await(LongSupplier value, long expected) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (value.getAsLong() < expected) {
      assertThat(System.nanoTime()).as("waiting for %d, at %d", expected, value.getAsLong()).isLessThan(end);
      Thread.sleep(10);
    }
  }

  private String metrics() throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** The sum of {@code metric}'s samples whose labels include every {@code name, value} pair. */
  static double sum(String exposition, String metric, String... labels) {
    double total = 0;
    for (String line : exposition.split("\n")) {
      if (!line.startsWith(metric + "{") && !line.startsWith(metric + " ")) {
        continue;
      }
      boolean match = true;
      for (int i = 0; i < labels.length; i += 2) {
        match &= line.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
      }
      if (match) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  static RemoteTemplate template(String name) throws IOException {
    Matcher m =
        DESCRIPTOR.matcher(Files.readString(MixerReference.file("oop/template-" + name + ".yaml")));
    assertThat(m.find()).isTrue();
    return RemoteTemplates.parse(name, ByteString.copyFrom(Base64.getDecoder().decode(m.group(1))));
  }

  private static HTTPAccessLogEntry entry(int code) {
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(
            AccessLogCommon.newBuilder()
                .setUpstreamCluster(CLUSTER)
                .setDownstreamRemoteAddress(
                    Address.newBuilder()
                        .setSocketAddress(
                            SocketAddress.newBuilder().setAddress("10.1.0.7").setPortValue(4000)))
                .setStartTime(Timestamp.newBuilder().setSeconds(1_767_225_600L)))
        .setRequest(
            HTTPRequestProperties.newBuilder()
                .setRequestMethod(RequestMethod.GET)
                .setPath("/")
                .setRequestBodyBytes(BODY_BYTES))
        .setResponse(
            HTTPResponseProperties.newBuilder()
                .setResponseCode(UInt32Value.of(code))
                .setResponseBodyBytes(1000))
        .build();
  }

  private static StreamAccessLogsMessage message(boolean first, List<HTTPAccessLogEntry> entries) {
    StreamAccessLogsMessage.Builder b =
        StreamAccessLogsMessage.newBuilder()
            .setHttpLogs(HTTPAccessLogEntries.newBuilder().addAllLogEntry(entries));
    if (first) {
      b.setIdentifier(
          Identifier.newBuilder()
              .setLogName("offpath")
              .setNode(
                  Node.newBuilder()
                      .setId("sidecar~10.1.0.7~productpage-v1-abc.default~default.svc.cluster.local")));
    }
    return b.build();
  }

  /** A client stream; {@link #finish} half-closes and waits for the server's answer. */
  private static final class Stream implements StreamObserver<StreamAccessLogsResponse> {
    final CountDownLatch done = new CountDownLatch(1);
    volatile Status status = Status.OK;
    final StreamObserver<StreamAccessLogsMessage> requests;

    Stream(AccessLogServiceGrpc.AccessLogServiceStub stub) {
      requests = stub.streamAccessLogs(this);
    }

    @Override
    public void onNext(StreamAccessLogsResponse value) {}

    @Override
    public void onError(Throwable t) {
      status = Status.fromThrowable(t);
      done.countDown();
    }

    @Override
    public void onCompleted() {
      done.countDown();
    }

    void finish() throws InterruptedException {
      requests.onCompleted();
      assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
      assertThat(status.isOk()).as("%s", status).isTrue();
    }
  }
}
