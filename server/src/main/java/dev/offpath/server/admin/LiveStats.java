package dev.offpath.server.admin;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * The introspection page's live series: once a second {@link #sample} reads cumulative counters
 * (Checks, denials, report entries, and the Check latency histogram's buckets) and keeps the rates
 * and the p99 of the second that passed, for the last {@value #CAPACITY} seconds. The page's charts
 * read them from {@code /debug/stats.json}; nothing is added to the request path (the counters exist
 * anyway).
 *
 * <p>p99 comes from the histogram's bucket counts over the interval, interpolated linearly inside
 * the bucket that holds the 99th percentile (Prometheus's {@code histogram_quantile}); NaN when no
 * Check completed. Resolution is the bucket layout's.
 *
 * <p>Thread-safety: {@link #sample} runs on one scheduler thread; readers get copies under the
 * monitor.
 */
public final class LiveStats {

  /** Seconds of history kept. */
  public static final int CAPACITY = 120;

  /** Cumulative counters, read once per sample. */
  public interface Source {
    long checks();

    long denials();

    long reportEntries();

    /** The Check latency histogram: upper bounds (seconds, last +Inf) and per-bucket counts. */
    Histogram checkLatency();
  }

  /** A histogram's buckets: {@code counts[i]} observations in ({@code bounds[i-1]}, {@code bounds[i]}]. */
  public record Histogram(double[] bounds, long[] counts) {
    public static final Histogram EMPTY = new Histogram(new double[0], new long[0]);

    public Histogram {
      if (bounds.length != counts.length) {
        throw new IllegalArgumentException(
            "bounds: " + bounds.length + ", counts: " + counts.length + " (expected: same length)");
      }
    }
  }

  /** One second: rates per second, p99 in milliseconds (NaN when no Check completed). */
  public record Sample(
      long epochMillis,
      double checksPerSecond,
      double denialsPerSecond,
      double p99Millis,
      double entriesPerSecond) {}

  private final Source source;
  private final Sample[] ring = new Sample[CAPACITY];
  private int next;
  private int size;
  private long lastNanos;
  private long lastChecks;
  private long lastDenials;
  private long lastEntries;
  private Histogram lastLatency = Histogram.EMPTY;
  private boolean primed;

  public LiveStats(Source source) {
    this.source = requireNonNull(source, "source");
  }

  /** Reads the counters; from the second call on, appends the interval since the previous one. */
  public synchronized void sample(long nanoTime, long epochMillis) {
    long checks = source.checks();
    long denials = source.denials();
    long entries = source.reportEntries();
    Histogram latency = source.checkLatency();
    if (primed && nanoTime > lastNanos) {
      double seconds = (nanoTime - lastNanos) / 1e9;
      ring[next] =
          new Sample(
              epochMillis,
              (checks - lastChecks) / seconds,
              (denials - lastDenials) / seconds,
              quantile(0.99, lastLatency, latency) * 1000,
              (entries - lastEntries) / seconds);
      next = (next + 1) % CAPACITY;
      size = Math.min(size + 1, CAPACITY);
    }
    primed = true;
    lastNanos = nanoTime;
    lastChecks = checks;
    lastDenials = denials;
    lastEntries = entries;
    lastLatency = latency;
  }

  /** The samples kept, oldest first. */
  public synchronized List<Sample> samples() {
    List<Sample> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(ring[(next - size + i + CAPACITY) % CAPACITY]);
    }
    return out;
  }

  /**
   * The {@code q}-quantile of the observations {@code after} has beyond {@code before} (same bucket
   * layout, or {@code before} empty), interpolated inside its bucket; the largest finite bound when
   * it falls in the +Inf bucket; NaN when there was none.
   */
  static double quantile(double q, Histogram before, Histogram after) {
    double[] bounds = after.bounds();
    long[] delta = new long[bounds.length];
    long total = 0;
    boolean sameLayout = before.bounds().length == bounds.length;
    for (int i = 0; i < bounds.length; i++) {
      delta[i] = after.counts()[i] - (sameLayout ? before.counts()[i] : 0);
      total += delta[i];
    }
    if (total <= 0) {
      return Double.NaN;
    }
    double rank = q * total;
    long seen = 0;
    for (int i = 0; i < bounds.length; i++) {
      if (delta[i] > 0 && seen + delta[i] >= rank) {
        double lower = i == 0 ? 0 : bounds[i - 1];
        if (Double.isInfinite(bounds[i])) {
          return lower;
        }
        return lower + (bounds[i] - lower) * ((rank - seen) / delta[i]);
      }
      seen += delta[i];
    }
    return bounds.length > 1 ? bounds[bounds.length - 2] : Double.NaN;
  }
}
