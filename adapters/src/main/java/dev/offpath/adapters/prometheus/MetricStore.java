package dev.offpath.adapters.prometheus;

import dev.offpath.adapters.prometheus.MetricInfo.Kind;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.MetricWithFixedMetadata;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metrics registered in one {@link PrometheusRegistry}, shared by the handlers of successive
 * configs (Mixer's prometheus builder kept the same table). A handler acquires its metrics when it
 * is created and releases them when it is closed; since a reload creates the new handlers before it
 * closes the old ones, a metric whose definition did not change keeps its collector and its series.
 * A metric redefined under the same name (other labels, kind or buckets) replaces the old collector,
 * whose series then restart, as in Mixer. A metric no handler uses any more is unregistered.
 *
 * <p>Thread-safe: acquire and release are synchronized (config reloads only); recording goes
 * straight to the {@link SharedMetric}.
 */
final class MetricStore {

  private static final Logger log = LoggerFactory.getLogger(MetricStore.class);

  private final PrometheusRegistry registry;
  private final Map<String, SharedMetric> byName = new HashMap<>();

  MetricStore(PrometheusRegistry registry) {
    this.registry = registry;
  }

  PrometheusRegistry registry() {
    return registry;
  }

  /** The name as registered: the Prometheus client adds {@code _total} to counters itself. */
  static String baseName(MetricInfo info) {
    String name = info.name();
    return info.kind() == Kind.COUNTER && name.endsWith("_total")
        ? name.substring(0, name.length() - "_total".length())
        : name;
  }

  /** Builds (without registering) the collector for {@code info}; throws on an invalid name. */
  static MetricWithFixedMetadata build(MetricInfo info) {
    String[] labels = info.labelNames().toArray(String[]::new);
    return switch (info.kind()) {
      case COUNTER ->
          Counter.builder()
              .name(info.name())
              .help(info.help())
              .labelNames(labels)
              .withoutExemplars()
              .build();
      case GAUGE ->
          Gauge.builder()
              .name(info.name())
              .help(info.help())
              .labelNames(labels)
              .withoutExemplars()
              .build();
      case DISTRIBUTION ->
          Histogram.builder()
              .name(info.name())
              .help(info.help())
              .labelNames(labels)
              .classicOnly()
              .classicUpperBounds(
                  info.buckets().stream().mapToDouble(Double::doubleValue).toArray())
              .withoutExemplars()
              .build();
    };
  }

  synchronized SharedMetric acquire(MetricInfo info) {
    String key = baseName(info);
    SharedMetric current = byName.get(key);
    if (current != null && current.sameDefinition(info)) {
      current.refs++;
      return current;
    }
    if (current != null) {
      log.warn("metric {} redefined; its series restart", info.name());
      registry.unregister(current.collector());
      byName.remove(key);
    }
    SharedMetric metric = new SharedMetric(info, build(info));
    registry.register(metric.collector());
    metric.refs = 1;
    byName.put(key, metric);
    return metric;
  }

  synchronized void release(SharedMetric metric) {
    metric.refs--;
    String key = baseName(metric.info());
    if (metric.refs <= 0 && byName.get(key) == metric) {
      registry.unregister(metric.collector());
      byName.remove(key);
    }
  }

  /** Registered metrics, by registered name; for tests. */
  synchronized Map<String, SharedMetric> metrics() {
    return Map.copyOf(byName);
  }
}
