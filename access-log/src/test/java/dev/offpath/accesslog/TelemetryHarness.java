package dev.offpath.accesslog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.adapters.prometheus.PrometheusFactory;
import dev.offpath.adapters.stdio.StdioFactory;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.ReportHandler;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigText;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.runtime.RuntimeServices;
import dev.offpath.core.telemetry.DropReason;
import dev.offpath.core.telemetry.ReportPipeline;
import dev.offpath.core.testing.MixerReference;
import dev.offpath.core.time.Ticker;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Istio 1.0's default telemetry config (its stdio handler pointed at a file) on a real report
 * pipeline behind a real access-log service on loopback Netty, plus a {@code gate} adapter whose
 * handler blocks while closed (a slow backend). Close after each test.
 */
@SuppressWarnings("try") // close() waits for the channel, so it may be interrupted
final class TelemetryHarness implements AutoCloseable {

  static final String GATE_RULE =
      """
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: gate
      metadata: {name: handler, namespace: istio-system}
      spec: {}
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: rule
      metadata: {name: slow, namespace: istio-system}
      spec:
        actions:
        - handler: handler.gate
          instances: [requestcount.metric]
      """;

  final PrometheusRegistry registry = new PrometheusRegistry();
  final Gate gate = new Gate();
  final Path accessLog;
  final PolicyStore store;
  final ReportPipeline pipeline;
  final AccessLogService service;
  final Server server;
  final ManagedChannel channel;
  final AccessLogServiceGrpc.AccessLogServiceStub stub;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  TelemetryHarness(Path dir, int capacity, boolean slowRule) throws Exception {
    AdapterRegistry adapters =
        AdapterRegistry.of(List.of(new PrometheusFactory(registry), new StdioFactory(), gate));
    accessLog = dir.resolve("access.log");
    String istio =
        Files.readString(MixerReference.file("istio-1.0-mixer-config.yaml"))
            .replace(
                "kind: stdio\nmetadata:\n  name: handler\n  namespace: istio-system\nspec:\n"
                    + "  outputAsJson: true\n",
                "kind: stdio\nmetadata:\n  name: handler\n  namespace: istio-system\nspec:\n"
                    + "  outputAsJson: true\n  logStream: FILE\n  outputPath: "
                    + accessLog
                    + "\n");
    assertThat(istio).contains("logStream: FILE");
    store =
        new PolicyStore(
            new RuntimeServices(
                adapters, Ticker.system(), Clock.systemUTC(), scheduler, RuntimeMetrics.NOOP, false));
    store.install(
        new ConfigLoader(adapters)
            .loadTexts(List.of(new ConfigText("istio.yaml", istio + (slowRule ? GATE_RULE : "")))));
    pipeline = ReportPipeline.builder(store).capacity(capacity).workers(2).batchSize(128).start();
    service = new AccessLogService(pipeline);
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .addService(service)
            .build()
            .start();
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    stub = AccessLogServiceGrpc.newStub(channel);
  }

  /** Dispatches everything received (the pipeline's shutdown flush). */
  void flush() {
    assertThat(pipeline.close(Duration.ofSeconds(30))).isTrue();
  }

  long dropped() {
    long n = 0;
    for (DropReason r : DropReason.values()) {
      n += pipeline.dropped(r);
    }
    return n;
  }

  /** The sum of a counter's (or a histogram's count) series whose labels include {@code labels}. */
  double value(String name, Map<String, String> labels) {
    double sum = 0;
    for (MetricSnapshot m : registry.scrape()) {
      if (!m.getMetadata().getName().equals(name)) {
        continue;
      }
      for (DataPointSnapshot p : m.getDataPoints()) {
        boolean match = labels.entrySet().stream()
            .allMatch(e -> e.getValue().equals(p.getLabels().get(e.getKey())));
        if (!match) {
          continue;
        }
        sum +=
            switch (p) {
              case CounterSnapshot.CounterDataPointSnapshot c -> c.getValue();
              case HistogramSnapshot.HistogramDataPointSnapshot h -> h.getCount();
              default -> throw new AssertionError("unexpected point " + p);
            };
      }
    }
    return sum;
  }

  double total(String name) {
    return value(name, Map.of());
  }

  @Override
  public void close() throws Exception {
    gate.open();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    service.drain();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    pipeline.close(Duration.ofSeconds(10));
    store.close();
    scheduler.shutdownNow();
  }

  /** A report adapter whose handler blocks while the gate is closed, and counts instances. */
  static final class Gate implements AdapterFactory<Gate.Config> {
    record Config() {}

    final LongAdder instances = new LongAdder();
    private volatile CountDownLatch latch = new CountDownLatch(0);

    void close() {
      latch = new CountDownLatch(1);
    }

    void open() {
      latch.countDown();
    }

    @Override
    public String name() {
      return "gate";
    }

    @Override
    public Set<String> templates() {
      return Set.of("metric");
    }

    @Override
    public Config parse(Params params) {
      return new Config();
    }

    @Override
    public Handler create(Config config, AdapterEnvironment environment) {
      return (ReportHandler)
          batch -> {
            try {
              latch.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            instances.add(batch.size());
          };
    }
  }
}
