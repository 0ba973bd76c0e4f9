package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Everything one run measured, for {@link ReportText} and {@link PercentilePlot}. The results of a
 * phase that did not run ({@code --phases}) are null, their rate 0; {@code baseline} is null when
 * no phase to run needed the baseline server; {@code fixedRateHalfCapacity} says whether the fixed
 * rate is half the baseline's measured capacity (or was given by {@code --fixed-rate}).
 */
record LoadReport(
    Instant date,
    List<String> machine,
    List<String> settings,
    @Nullable String baseline,
    String offpath,
    @Nullable Capacity capacityBaseline,
    @Nullable Capacity capacityOffpath,
    @Nullable PhaseResult maxBaseline,
    @Nullable PhaseResult maxOffpath,
    double fixedRate,
    boolean fixedRateHalfCapacity,
    @Nullable PhaseResult fixedBaseline,
    @Nullable PhaseResult fixedOffpath,
    @Nullable Ingest ingest,
    double mixedRate,
    @Nullable PhaseResult mixedIdle,
    @Nullable PhaseResult mixedStreaming,
    @Nullable Logs mixedLogs,
    @Nullable Soak soak) {

  LoadReport {
    machine = List.copyOf(machine);
    settings = List.copyOf(settings);
    requireNonNull(offpath, "offpath");
    if ((capacityBaseline == null) != (capacityOffpath == null)
        || (maxBaseline == null) != (maxOffpath == null)
        || (fixedBaseline == null) != (fixedOffpath == null)
        || (mixedIdle == null) != (mixedStreaming == null)
        || (mixedIdle == null) != (mixedLogs == null)) {
      throw new IllegalArgumentException("a phase has results for one side only (expected: both or none)");
    }
  }

  /** The open-loop capacity of a server and the steps of its search. */
  record Capacity(double rate, List<CapacitySearch.Step> steps) {
    Capacity {
      steps = List.copyOf(steps);
    }
  }

  /**
   * The ingest run: {@code sent} entries, {@code counted} the growth of {@code istio_requests_total}
   * on the telemetry port, {@code elapsedNanos} from the first send until the count was reached
   * (to within the poll interval), {@code clientNanos} until the server had completed every stream.
   */
  record Ingest(
      long sent, double counted, long elapsedNanos, long clientNanos, long cpuNanos, long errors) {
    double rate() {
      return elapsedNanos == 0 ? 0 : sent * 1e9 / elapsedNanos;
    }

    boolean exact() {
      return counted == sent && errors == 0;
    }
  }

  /** The access logs streamed during the mixed run, and what the telemetry port counted of them. */
  record Logs(double requestedRate, long sent, double counted, long elapsedNanos) {
    Logs plus(Logs later) {
      return new Logs(
          requestedRate, sent + later.sent, counted + later.counted, elapsedNanos + later.elapsedNanos);
    }

    double rate() {
      return elapsedNanos == 0 ? 0 : sent * 1e9 / elapsedNanos;
    }

    boolean exact() {
      return counted == sent;
    }
  }

  /**
   * The soak: Checks at {@code rate} over {@code users} distinct users and access logs at {@code
   * logRate} entries/s for {@code durationNanos}, with a forced full GC in Offpath and a reading of
   * its heap ({@code sampling} says how) before the load ({@code heapBeforeBytes}) and every {@code
   * sampleNanos} during it ({@code samples}); {@code entriesCounted} is the growth of {@code
   * istio_requests_total} once the logs were all sent.
   */
  record Soak(
      double rate,
      double logRate,
      int users,
      long durationNanos,
      long sampleNanos,
      String sampling,
      long heapBeforeBytes,
      List<HeapGrowth.Sample> samples,
      PhaseResult checks,
      long entriesSent,
      double entriesCounted) {

    /** The length DESIGN.md section 4 asks of a soak. */
    static final long TARGET_NANOS = 600_000_000_000L;

    Soak {
      requireNonNull(sampling, "sampling");
      samples = List.copyOf(samples);
      requireNonNull(checks, "checks");
    }

    HeapGrowth growth() {
      return HeapGrowth.of(samples);
    }

    boolean exact() {
      return entriesCounted == entriesSent;
    }

    /** Whether it ran as long as the target asks. */
    boolean longEnough() {
      return durationNanos >= TARGET_NANOS;
    }

    /**
     * The target: long enough, no Check errors, every entry counted, and the heap within the rule
     * of {@link HeapGrowth}.
     */
    boolean met() {
      return longEnough() && checks.errors() == 0 && exact() && growth().noGrowth();
    }
  }

  /** Open-loop capacity, Offpath / baseline; only when the capacity phase ran. */
  double throughputRatio() {
    double b = requireNonNull(capacityBaseline, "capacityBaseline").rate();
    return b == 0 ? 0 : requireNonNull(capacityOffpath, "capacityOffpath").rate() / b;
  }

  /** Closed-loop throughput, Offpath / baseline; only when the closed phase ran. */
  double closedLoopRatio() {
    double b = requireNonNull(maxBaseline, "maxBaseline").throughput();
    return b == 0 ? 0 : requireNonNull(maxOffpath, "maxOffpath").throughput() / b;
  }

  /** Fixed-rate p99, Offpath / baseline; only when the fixed phase ran. */
  double fixedP99Ratio() {
    long b = requireNonNull(fixedBaseline, "fixedBaseline").latency().p99();
    return b == 0 ? 0 : (double) requireNonNull(fixedOffpath, "fixedOffpath").latency().p99() / b;
  }

  /** Mixed p99, streaming / idle; only when the mixed phase ran. */
  double mixedP99Ratio() {
    long idle = requireNonNull(mixedIdle, "mixedIdle").latency().p99();
    return idle == 0 ? 0 : (double) requireNonNull(mixedStreaming, "mixedStreaming").latency().p99() / idle;
  }
}
