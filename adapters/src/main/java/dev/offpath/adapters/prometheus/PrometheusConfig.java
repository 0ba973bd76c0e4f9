package dev.offpath.adapters.prometheus;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Parsed {@code prometheus} params: the metrics, and the expiry policy for idle series ({@code
 * metricsExpirationPolicy}; null keeps every series forever, as Mixer did by default).
 */
public record PrometheusConfig(List<MetricInfo> metrics, @Nullable Expiry expiry) {

  public PrometheusConfig {
    metrics = List.copyOf(metrics);
  }

  /** A series not updated for {@code idle} is removed; checked every {@code checkInterval}. */
  public record Expiry(Duration idle, Duration checkInterval) {}
}
