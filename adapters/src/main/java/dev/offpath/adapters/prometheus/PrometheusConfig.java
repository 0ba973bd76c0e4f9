package dev.offpath.adapters.prometheus;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Parsed {@code prometheus} params: the metrics, the expiry policy for idle series ({@code
 * metricsExpirationPolicy}; null keeps every series forever, as Mixer did by default, though the
 * factory gives configs without one {@link #DEFAULT_EXPIRY}), and {@code maxSeriesPerMetric}: a
 * label-value combination past that many live series of one metric is counted, not created.
 */
public record PrometheusConfig(List<MetricInfo> metrics, @Nullable Expiry expiry, int maxSeriesPerMetric) {

  public static final int DEFAULT_MAX_SERIES_PER_METRIC = 10_000;

  /** Series idle for 10 minutes go, checked every 5 minutes, unless the config says otherwise. */
  public static final Expiry DEFAULT_EXPIRY = new Expiry(Duration.ofMinutes(10), Duration.ofMinutes(5));

  public PrometheusConfig {
    metrics = List.copyOf(metrics);
    if (maxSeriesPerMetric <= 0) {
      throw new IllegalArgumentException("maxSeriesPerMetric: " + maxSeriesPerMetric + " (expected: > 0)");
    }
  }

  public PrometheusConfig(List<MetricInfo> metrics, @Nullable Expiry expiry) {
    this(metrics, expiry, DEFAULT_MAX_SERIES_PER_METRIC);
  }

  /** A series not updated for {@code idle} is removed; checked every {@code checkInterval}. */
  public record Expiry(Duration idle, Duration checkInterval) {}
}
