package dev.offpath.benchmarks.load;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The steps the Check phases of the load drivers share: a capacity search's open-loop steps, and a
 * progress line for each slice of a phase as it is merged into the phase's result.
 */
final class PhaseSteps {

  private final LoadOptions options;
  private final Progress progress;

  PhaseSteps(LoadOptions options, Progress progress) {
    this.options = options;
    this.progress = progress;
  }

  CapacitySearch newSearch() {
    return new CapacitySearch(
        options.stepStart(), options.stepFactor(), options.stepMax(), options.bisections());
  }

  /** One step of a capacity search, unless it is done; returns the checks it sent. */
  long step(CapacitySearch search, CheckClient client, Target target)
      throws InterruptedException {
    if (search.done()) {
      return 0;
    }
    double rate = search.nextRate();
    PhaseResult r = client.openLoop("capacity-step", target, rate, options.stepDuration(), progress);
    boolean passed = CapacitySearch.keptUp(r, rate, options.stepMaxP50().toNanos());
    search.record(
        new CapacitySearch.Step(rate, r.throughput(), r.latency().p50(), r.latency().p99(), passed));
    progress.message(
        String.format(
            Locale.ROOT,
            "capacity-step %s: %,.0f/s asked, %,.0f/s done, p50 %s, p99 %s: %s",
            target.name(),
            rate,
            r.throughput(),
            LatencySummary.millis(r.latency().p50()),
            LatencySummary.millis(r.latency().p99()),
            passed ? "kept up" : "did not keep up"));
    return r.sent();
  }

  /** Reports a slice and adds it to what the phase has so far. */
  PhaseResult merge(@Nullable PhaseResult sofar, PhaseResult slice) {
    report(slice.phase(), slice);
    return sofar == null ? slice : sofar.plus(slice);
  }

  /** One progress line for a phase's result: rate, latency, errors and CPU. */
  void report(String phase, PhaseResult r) {
    progress.message(
        String.format(
            Locale.ROOT,
            "%s %s: %,.0f checks/s, %s, errors %d%s",
            phase,
            r.target(),
            r.throughput(),
            r.latency().format(),
            r.errors(),
            r.cpuMillisPer1000() < 0
                ? ""
                : String.format(Locale.ROOT, ", CPU %.1f ms/1000 checks", r.cpuMillisPer1000())));
  }

}
