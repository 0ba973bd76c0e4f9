package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Whether the heap grew over a soak, from the heap used after a forced full GC at regular times:
 * the average of the first third of the samples against that of the last third, and the growth
 * per minute as the least-squares slope over all of them.
 *
 * <p>The rule: the heap did not grow when {@code lastThird <= firstThird * 1.10 + 8 MiB}. After a
 * full GC the heap holds the live data only, so bounded caches and queues show as a plateau once
 * full; the 10% and 8 MiB absorb what a plateau still wobbles by (young objects allocated between
 * the GC and the reading, a cache's churn, G1 region rounding) without hiding a leak, which keeps
 * climbing through a ten-minute soak. The slope is reported, not judged: one late sample can tilt
 * it either way. With {@code n} samples a third is {@code n / 3} of them (the middle ones count
 * only for the slope); at least three are needed.
 */
record HeapGrowth(int samples, double firstThirdMiB, double lastThirdMiB, double slopeMiBPerMinute) {

  static final double FACTOR = 1.10;
  static final double ALLOWANCE_MIB = 8;
  static final int MIN_SAMPLES = 3;

  /**
   * One reading during a soak: {@code elapsedNanos} since its start, {@code heapBytes} used after a
   * forced full GC, the checks completed and access-log entries counted by then.
   */
  record Sample(long elapsedNanos, long heapBytes, long checksDone, double entriesCounted) {
    Sample {
      if (elapsedNanos < 0) {
        throw new IllegalArgumentException("elapsedNanos: " + elapsedNanos + " (expected: >= 0)");
      }
      if (heapBytes < 0) {
        throw new IllegalArgumentException("heapBytes: " + heapBytes + " (expected: >= 0)");
      }
    }

    double heapMiB() {
      return heapBytes / (double) (1 << 20);
    }

    double minutes() {
      return elapsedNanos / 60e9;
    }
  }

  static HeapGrowth of(List<Sample> samples) {
    requireNonNull(samples, "samples");
    int n = samples.size();
    if (n < MIN_SAMPLES) {
      throw new IllegalArgumentException("samples: " + n + " (expected: >= " + MIN_SAMPLES + ")");
    }
    int third = n / 3;
    return new HeapGrowth(
        n,
        average(samples.subList(0, third)),
        average(samples.subList(n - third, n)),
        slope(samples));
  }

  /** Samples in each third. */
  int third() {
    return samples / 3;
  }

  /** The highest last-third average the rule allows. */
  double limitMiB() {
    return firstThirdMiB * FACTOR + ALLOWANCE_MIB;
  }

  /** The rule of the class comment: the last third's average within the first third's allowance. */
  boolean noGrowth() {
    return lastThirdMiB <= limitMiB();
  }

  private static double average(List<Sample> samples) {
    double sum = 0;
    for (Sample s : samples) {
      sum += s.heapMiB();
    }
    return sum / samples.size();
  }

  /** MiB per minute, the least-squares line through (minutes, MiB); 0 when all times are equal. */
  static double slope(List<Sample> samples) {
    int n = samples.size();
    double meanX = 0;
    double meanY = 0;
    for (Sample s : samples) {
      meanX += s.minutes();
      meanY += s.heapMiB();
    }
    meanX /= n;
    meanY /= n;
    double sxy = 0;
    double sxx = 0;
    for (Sample s : samples) {
      double dx = s.minutes() - meanX;
      sxy += dx * (s.heapMiB() - meanY);
      sxx += dx * dx;
    }
    return sxx == 0 ? 0 : sxy / sxx;
  }
}
