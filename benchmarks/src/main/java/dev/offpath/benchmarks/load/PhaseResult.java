package dev.offpath.benchmarks.load;

import java.util.List;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * What one phase measured against one target. {@code elapsedNanos} is the measuring window
 * (closed loop: its fixed length; open loop: from the first intended send to the last completion);
 * {@code cpuNanos} the server's CPU time over the phase, -1 when unknown; {@code rounds} the
 * throughput and p99 of each slice a phase was measured in, to show how steady it was.
 */
record PhaseResult(
    String phase,
    String target,
    String mode,
    double requestedRate,
    long elapsedNanos,
    long sent,
    long allowed,
    long denied,
    long errors,
    @Nullable String firstError,
    Histogram histogram,
    long cpuNanos,
    List<Round> rounds) {

  /** One slice's throughput (checks/s) and p99 (ns). */
  record Round(double throughput, long p99) {}

  PhaseResult {
    rounds = List.copyOf(rounds);
  }

  /** A phase measured in one slice. */
  static PhaseResult single(
      String phase,
      String target,
      String mode,
      double requestedRate,
      long elapsedNanos,
      long sent,
      long allowed,
      long denied,
      long errors,
      @Nullable String firstError,
      Histogram histogram,
      long cpuNanos) {
    PhaseResult r =
        new PhaseResult(
            phase, target, mode, requestedRate, elapsedNanos, sent, allowed, denied, errors,
            firstError, histogram, cpuNanos, List.of());
    return new PhaseResult(
        phase, target, mode, requestedRate, elapsedNanos, sent, allowed, denied, errors,
        firstError, histogram, cpuNanos, List.of(new Round(r.throughput(), r.latency().p99())));
  }

  /** This and a later slice of the same phase and target, as one. */
  PhaseResult plus(PhaseResult later) {
    Histogram sum = histogram.copy();
    sum.add(later.histogram);
    return new PhaseResult(
        phase,
        target,
        mode,
        requestedRate,
        elapsedNanos + later.elapsedNanos,
        sent + later.sent,
        allowed + later.allowed,
        denied + later.denied,
        errors + later.errors,
        firstError != null ? firstError : later.firstError,
        sum,
        cpuNanos < 0 || later.cpuNanos < 0 ? -1 : cpuNanos + later.cpuNanos,
        Stream.concat(rounds.stream(), later.rounds.stream()).toList());
  }

  long completed() {
    return allowed + denied;
  }

  /** Completed checks per second over the window. */
  double throughput() {
    return elapsedNanos == 0 ? 0 : completed() * 1e9 / elapsedNanos;
  }

  LatencySummary latency() {
    return LatencySummary.of(histogram);
  }

  /** Server CPU milliseconds per 1000 completed checks (= vCPU per 1000 checks/s), or -1. */
  double cpuMillisPer1000() {
    return cpuNanos < 0 || completed() == 0 ? -1 : cpuNanos / 1e6 / (completed() / 1000.0);
  }
}
