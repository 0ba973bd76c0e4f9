package dev.offpath.benchmarks.load;

import java.util.ArrayList;
import java.util.List;

/**
 * The open-loop capacity search of one server: a step-up then a bisection. Each step is an
 * open-loop slice at one rate; it passes when the server kept up — every call completed without
 * error, completions ran at ≥ 95% of the rate, and the median latency stayed under a bound (past
 * capacity the queue grows through the whole slice, so the median climbs with it, while a tail
 * made of scheduling noise on a busy machine does not move the median).
 *
 * <p>Climb: {@code start}, {@code start × factor}, … until a step fails (or {@code maxRate}); then
 * {@code bisections} steps at the geometric mean of the highest pass and the lowest failure. The
 * capacity is the highest rate that passed (0 if none did). Pure state: {@link #nextRate} and
 * {@link #record} alternate; the driver runs the steps.
 */
final class CapacitySearch {

  /** One step: its rate, the completion rate achieved, its median and p99 (ns), whether it passed. */
  record Step(double rate, double achieved, long p50, long p99, boolean passed) {}

  private final double factor;
  private final double maxRate;
  private final int bisections;
  private final List<Step> steps = new ArrayList<>();
  private double rate;
  private double highestPass;
  private double lowestFail = Double.POSITIVE_INFINITY;
  private int bisected;
  private boolean climbing = true;

  CapacitySearch(double start, double factor, double maxRate, int bisections) {
    if (!(start > 0)) {
      throw new IllegalArgumentException("start: " + start + " (expected: > 0)");
    }
    if (!(factor > 1)) {
      throw new IllegalArgumentException("factor: " + factor + " (expected: > 1)");
    }
    if (bisections < 0) {
      throw new IllegalArgumentException("bisections: " + bisections + " (expected: >= 0)");
    }
    this.factor = factor;
    this.maxRate = maxRate;
    this.bisections = bisections;
    this.rate = start;
  }

  /** Whether a step passes: see the class comment. */
  static boolean keptUp(PhaseResult r, double rate, long maxP50Nanos) {
    return r.errors() == 0
        && r.completed() == r.sent()
        && r.throughput() >= 0.95 * rate
        && r.latency().p50() <= maxP50Nanos;
  }

  boolean done() {
    return climbing ? rate > maxRate : bisected >= bisections;
  }

  double nextRate() {
    if (done()) {
      throw new IllegalStateException("search is done");
    }
    return rate;
  }

  /** The outcome of the step at {@link #nextRate}. */
  void record(Step step) {
    steps.add(step);
    if (step.passed()) {
      highestPass = Math.max(highestPass, step.rate());
    } else {
      lowestFail = Math.min(lowestFail, step.rate());
    }
    if (climbing) {
      if (step.passed()) {
        rate = step.rate() * factor;
        return;
      }
      climbing = false;
    } else {
      bisected++;
    }
    rate = highestPass > 0 ? Math.sqrt(highestPass * lowestFail) : lowestFail / factor;
  }

  double capacity() {
    return highestPass;
  }

  List<Step> steps() {
    return List.copyOf(steps);
  }
}
