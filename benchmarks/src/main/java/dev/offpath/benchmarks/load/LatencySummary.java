package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import org.HdrHistogram.Histogram;

/** The percentiles a report shows of one latency histogram (values in nanoseconds). */
record LatencySummary(long count, long p50, long p90, long p99, long p999, long max, double mean) {

  /** Histograms of the driver: 1 µs to one minute, three significant digits. */
  static Histogram newHistogram() {
    return new Histogram(1_000L, 60_000_000_000L, 3);
  }

  static LatencySummary of(Histogram h) {
    requireNonNull(h, "h");
    if (h.getTotalCount() == 0) {
      return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
    }
    return new LatencySummary(
        h.getTotalCount(),
        h.getValueAtPercentile(50),
        h.getValueAtPercentile(90),
        h.getValueAtPercentile(99),
        h.getValueAtPercentile(99.9),
        h.getMaxValue(),
        h.getMean());
  }

  /** {@code "p50 0.215 ms  p90 ...  max ..."}. */
  String format() {
    return String.format(
        Locale.ROOT,
        "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (n=%,d)",
        millis(p50),
        millis(p90),
        millis(p99),
        millis(p999),
        millis(max),
        count);
  }

  static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
  }

  /** {@code a / b} to two decimals, or "n/a" when {@code b} is zero. */
  static String ratio(double a, double b) {
    return b == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", a / b);
  }
}
