package dev.offpath.benchmarks.telemetry;

import dev.offpath.accesslog.EntryAttributes;
import dev.offpath.accesslog.EntryMapping;
import dev.offpath.accesslog.MalformedEntryException;
import dev.offpath.accesslog.StreamReporter;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.telemetry.ReportPlan;
import dev.offpath.core.time.Ticker;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The telemetry path per access-log entry, without the network: an Envoy HTTP entry → attribute bag
 * ({@code map}); a batch of bags → Istio 1.0's four HTTP metric instances (17 dimensions each) →
 * the prometheus adapter's counters and histograms ({@code dispatch}); and both ({@code
 * mapAndDispatch}). Times are per entry, batches of {@value #BATCH} over a spread of 96 label sets.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TelemetryBenchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TelemetryBenchmark {

  static final int BATCH = 256;

  private ScheduledExecutorService scheduler;
  private PolicyStore store;
  private ReportPlan plan;
  private StreamReporter reporter;
  private List<HTTPAccessLogEntry> entries;
  private List<Attributes> bags;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    scheduler = Executors.newSingleThreadScheduledExecutor();
    store = TelemetryFixture.store(new PrometheusRegistry(), scheduler);
    plan = ReportPlan.of(store.current(), RuntimeMetrics.NOOP, Ticker.system());
    reporter = StreamReporter.of(TelemetryFixture.identifier());
    entries = TelemetryFixture.entries(BATCH);
    bags = new ArrayList<>(BATCH);
    for (HTTPAccessLogEntry e : entries) {
      bags.add(EntryMapping.http(reporter, e));
    }
    // Create every series once, so the measurement is the steady state.
    plan.dispatch(bags);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    store.close();
    scheduler.shutdownNow();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public EntryAttributes map() throws MalformedEntryException {
    EntryAttributes last = null;
    for (HTTPAccessLogEntry e : entries) {
      last = EntryMapping.http(reporter, e);
    }
    return last;
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int dispatch() {
    return plan.dispatch(bags);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int mapAndDispatch() throws MalformedEntryException {
    List<Attributes> batch = new ArrayList<>(BATCH);
    for (HTTPAccessLogEntry e : entries) {
      batch.add(EntryMapping.http(reporter, e));
    }
    return plan.dispatch(batch);
  }
}
