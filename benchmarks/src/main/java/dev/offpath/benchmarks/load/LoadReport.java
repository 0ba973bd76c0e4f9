package dev.offpath.benchmarks.load;

import java.time.Instant;
import java.util.List;

/** Everything one run measured, for {@link ReportText} and {@link PercentilePlot}. */
record LoadReport(
    Instant date,
    List<String> machine,
    List<String> settings,
    String baseline,
    String offpath,
    Capacity capacityBaseline,
    Capacity capacityOffpath,
    PhaseResult maxBaseline,
    PhaseResult maxOffpath,
    double fixedRate,
    PhaseResult fixedBaseline,
    PhaseResult fixedOffpath,
    Ingest ingest,
    double mixedRate,
    PhaseResult mixedIdle,
    PhaseResult mixedStreaming,
    Logs mixedLogs) {

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

  /** Open-loop capacity, Offpath / baseline. */
  double throughputRatio() {
    return capacityBaseline.rate() == 0 ? 0 : capacityOffpath.rate() / capacityBaseline.rate();
  }

  /** Closed-loop throughput, Offpath / baseline. */
  double closedLoopRatio() {
    return maxBaseline.throughput() == 0 ? 0 : maxOffpath.throughput() / maxBaseline.throughput();
  }

  double fixedP99Ratio() {
    long b = fixedBaseline.latency().p99();
    return b == 0 ? 0 : (double) fixedOffpath.latency().p99() / b;
  }

  double mixedP99Ratio() {
    long idle = mixedIdle.latency().p99();
    return idle == 0 ? 0 : (double) mixedStreaming.latency().p99() / idle;
  }
}
