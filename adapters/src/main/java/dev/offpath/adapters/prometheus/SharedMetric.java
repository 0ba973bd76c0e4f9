package dev.offpath.adapters.prometheus;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.MetricWithFixedMetadata;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleConsumer;
import org.jspecify.annotations.Nullable;

/**
 * One registered Prometheus metric and its series. A series (one combination of label values)
 * caches the client's data point, so recording is a hash lookup on the label values and an add;
 * the client's own lookup, which copies the values into a list, runs once per series.
 *
 * <p>Each series remembers when it was last recorded (ticker nanos) for {@link #expire}. Expiry
 * races benignly with recording: a value recorded into a series at the instant it expires is lost
 * with the series, which had been idle for the whole expiry period.
 *
 * <p>Bounded: at most {@link #maxSeries} live series; a new label-value combination past that is
 * refused ({@link #series} returns null) and counted ({@link #refusedSeries()}), so a client
 * inventing label values cannot exhaust memory. The bound is checked only when a series is
 * missing, so recording into a live series costs nothing more; concurrent creators may overshoot
 * it by at most one series each.
 *
 * <p>Thread-safe.
 */
final class SharedMetric {

  private final MetricInfo info;
  private final MetricWithFixedMetadata collector;
  private final ConcurrentHashMap<LabelValues, Series> series = new ConcurrentHashMap<>();

  /** Handlers using this metric; guarded by the {@link MetricStore}. */
  int refs;

  /** The series bound; the latest config's acquire sets it. */
  volatile int maxSeries = PrometheusConfig.DEFAULT_MAX_SERIES_PER_METRIC;

  private final LongAdder refused = new LongAdder();

  SharedMetric(MetricInfo info, MetricWithFixedMetadata collector) {
    this.info = info;
    this.collector = collector;
  }

  MetricInfo info() {
    return info;
  }

  MetricWithFixedMetadata collector() {
    return collector;
  }

  boolean sameDefinition(MetricInfo other) {
    return info.name().equals(other.name())
        && info.help().equals(other.help())
        && info.kind() == other.kind()
        && info.labelNames().equals(other.labelNames())
        && info.buckets().equals(other.buckets());
  }

  /**
   * The series for {@code labelValues} (which it keeps: do not reuse the array), or null when it
   * does not exist and the metric already has {@link #maxSeries} (counted).
   */
  @Nullable Series series(String[] labelValues, long now) {
    LabelValues key = new LabelValues(labelValues);
    Series s = series.get(key);
    if (s == null) {
      if (series.size() >= maxSeries) {
        refused.increment();
        return null;
      }
      s = series.computeIfAbsent(key, k -> new Series(sink(k.values), now));
    }
    return s;
  }

  /** Label-value combinations not created because the metric was at {@link #maxSeries}. */
  long refusedSeries() {
    return refused.sum();
  }

  private DoubleConsumer sink(String[] values) {
    return switch (collector) {
      case Counter c -> c.labelValues(values)::inc;
      case Gauge g -> g.labelValues(values)::set;
      case Histogram h -> h.labelValues(values)::observe;
      default -> throw new IllegalStateException("unexpected collector " + collector);
    };
  }

  /** Removes the series last recorded before {@code cutoff}; returns how many. */
  int expire(long cutoff) {
    int removed = 0;
    Iterator<Map.Entry<LabelValues, Series>> it = series.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<LabelValues, Series> e = it.next();
      if (e.getValue().lastUsed - cutoff < 0 && series.remove(e.getKey(), e.getValue())) {
        switch (collector) {
          case Counter c -> c.remove(e.getKey().values);
          case Gauge g -> g.remove(e.getKey().values);
          case Histogram h -> h.remove(e.getKey().values);
          default -> throw new IllegalStateException("unexpected collector " + collector);
        }
        removed++;
      }
    }
    return removed;
  }

  int seriesCount() {
    return series.size();
  }

  /** One label-value combination: its data point and when it was last recorded. */
  static final class Series {
    private final DoubleConsumer sink;
    volatile long lastUsed;

    Series(DoubleConsumer sink, long now) {
      this.sink = sink;
      this.lastUsed = now;
    }

    void record(double value) {
      sink.accept(value);
    }
  }

  /** Label values as a map key, hash computed once. */
  private static final class LabelValues {
    final String[] values;
    final int hash;

    LabelValues(String[] values) {
      this.values = values;
      this.hash = Arrays.hashCode(values);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof LabelValues other
          && other.hash == hash
          && Arrays.equals(other.values, values);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
