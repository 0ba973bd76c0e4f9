package dev.offpath.benchmarks.load;

/**
 * When each request of an open-loop run is meant to be sent: the {@code i}-th (from 0) at {@code
 * startNanos + i / rate} seconds, computed from {@code i} each time so the schedule never drifts
 * (no accumulated rounding of a period). The sender sends every request whose intended time has
 * passed, late ones back to back, and latency is measured from the intended time: a stall of the
 * server (or of the sender) shows up in the latencies of every request it delayed, instead of
 * delaying the requests themselves — no coordinated omission.
 */
record OpenLoopSchedule(double ratePerSecond, long startNanos, long durationNanos) {

  OpenLoopSchedule {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("ratePerSecond: " + ratePerSecond + " (expected: > 0)");
    }
    if (durationNanos <= 0) {
      throw new IllegalArgumentException("durationNanos: " + durationNanos + " (expected: > 0)");
    }
  }

  /** The requests in the run: those intended before its end. */
  long total() {
    return (long) Math.ceil(durationNanos * ratePerSecond / 1e9);
  }

  /** The intended send time of request {@code i}. */
  long intendedNanos(long i) {
    return startNanos + (long) (i * 1e9 / ratePerSecond);
  }

  /** How many requests are due by {@code nowNanos} (intended at or before it), at most {@link #total}. */
  long dueBy(long nowNanos) {
    if (nowNanos < startNanos) {
      return 0;
    }
    long due = (long) Math.floor((nowNanos - startNanos) * ratePerSecond / 1e9) + 1;
    // Floating point may put the boundary one off; settle it on intendedNanos, the definition.
    while (due > 0 && intendedNanos(due - 1) > nowNanos) {
      due--;
    }
    while (intendedNanos(due) <= nowNanos) {
      due++;
    }
    return Math.min(due, total());
  }
}
