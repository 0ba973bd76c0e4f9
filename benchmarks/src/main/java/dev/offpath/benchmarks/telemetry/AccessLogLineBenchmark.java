package dev.offpath.benchmarks.telemetry;

import dev.offpath.accesslog.EntryMapping;
import dev.offpath.accesslog.StreamReporter;
import dev.offpath.adapters.prometheus.PrometheusFactory;
import dev.offpath.adapters.stdio.StdioFactory;
import dev.offpath.benchmarks.Resources;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigText;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.runtime.RuntimeServices;
import dev.offpath.core.telemetry.ReportPlan;
import dev.offpath.core.time.Ticker;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Istio 1.0's default telemetry per access-log entry, as Istio ships it: a batch of attribute bags
 * dispatched through the whole config ({@code istio-1.0-mixer-config.yaml}, verbatim but for the
 * stdio handler writing to {@code outputPath} instead of stdout, so that JMH's console stays
 * readable) — the four HTTP metrics on the prometheus adapter and the {@code accesslog} logentry →
 * one JSON line on the stdio adapter — against the same entries through the metrics alone
 * ({@code config=metrics}, the load driver's default telemetry). The difference is the cost of
 * logentry → line. Times are per entry, batches of {@value #BATCH} as a report worker takes them.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar AccessLogLineBenchmark -prof gc}
 * ({@code -p outputPath=/tmp/access.log} to write a real file).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AccessLogLineBenchmark {

  static final int BATCH = 256;

  /** {@code metrics}: Istio's default metrics only; {@code full}: Istio 1.0's whole config. */
  @Param({"metrics", "full"})
  public String config;

  @Param({"/dev/null"})
  public String outputPath;

  private ScheduledExecutorService scheduler;
  private PolicyStore store;
  private ReportPlan plan;
  private List<Attributes> bags;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    scheduler = Executors.newSingleThreadScheduledExecutor();
    PrometheusRegistry registry = new PrometheusRegistry();
    AdapterRegistry adapters =
        AdapterRegistry.of(List.of(new PrometheusFactory(registry), new StdioFactory()));
    store =
        new PolicyStore(
            new RuntimeServices(
                adapters, Ticker.system(), Clock.systemUTC(), scheduler, RuntimeMetrics.NOOP,
                false));
    String text =
        config.equals("full") ? fullConfig(outputPath) : TelemetryFixture.config();
    store.install(
        new ConfigLoader(adapters).loadTexts(List.of(new ConfigText("istio.yaml", text))));
    plan = ReportPlan.of(store.current(), RuntimeMetrics.NOOP, Ticker.system());
    StreamReporter reporter = StreamReporter.of(TelemetryFixture.identifier());
    bags = new ArrayList<>(BATCH);
    for (HTTPAccessLogEntry e : TelemetryFixture.entries(BATCH)) {
      bags.add(EntryMapping.http(reporter, e));
    }
    // Every series once, so the measurement is the steady state.
    plan.dispatch(bags);
  }

  /** Istio 1.0's whole default config, its stdio handler writing to {@code path}. */
  public static String fullConfig(String path) {
    String istio = resource("istio-1.0-mixer-config.yaml");
    String handler = "kind: stdio\nmetadata:\n  name: handler\n  namespace: istio-system\nspec:\n";
    if (!istio.contains(handler)) {
      throw new IllegalStateException("istio-1.0-mixer-config.yaml: no stdio handler");
    }
    return istio.replace(
        handler, handler + "  logStream: FILE\n  outputPath: \"" + path + "\"\n");
  }

  static String resource(String name) {
    return Resources.text(AccessLogLineBenchmark.class, name);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    store.close();
    scheduler.shutdownNow();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int dispatch() {
    return plan.dispatch(bags);
  }
}
