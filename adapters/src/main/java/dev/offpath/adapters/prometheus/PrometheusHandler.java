package dev.offpath.adapters.prometheus;

import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.InstanceFields;
import dev.offpath.core.adapter.MeteredHandler;
import dev.offpath.core.adapter.ReportHandler;
import dev.offpath.core.attribute.AttributeValues;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records {@code metric} instances in their Prometheus metrics: the instance's {@code value} is
 * added (COUNTER), set (GAUGE) or observed (DISTRIBUTION); its {@code dimensions} named by the
 * metric's label names become the label values, in Mixer's string form ({@code ""} when absent,
 * other dimensions ignored). Values: INT64 and DOUBLE as they are, DURATION in seconds, numeric
 * strings parsed; anything else, or a negative counter increment, is skipped and logged at debug.
 *
 * <p>With {@code metricsExpirationPolicy}, a task on the environment's scheduler removes series
 * idle for longer than the expiry every check interval.
 *
 * <p>Bounded: each metric holds at most {@code maxSeriesPerMetric} series (default 10,000); a new
 * label-value combination past that is dropped and counted ({@code
 * offpath_prometheus_series_refused_total{metric}}), never created.
 *
 * <p>Thread-safe: the instance table is immutable; recording is lock-free.
 */
final class PrometheusHandler implements ReportHandler, MeteredHandler {

  private static final Logger log = LoggerFactory.getLogger(PrometheusHandler.class);

  /** Label text of small integers (response codes), built once. */
  private static final String[] SMALL_INTS = new String[1024];

  static {
    for (int i = 0; i < SMALL_INTS.length; i++) {
      SMALL_INTS[i] = Integer.toString(i);
    }
  }

  private final Map<String, Bound> byInstance;
  private final MetricStore store;
  private final AdapterEnvironment environment;
  private final long idleNanos;
  private final @Nullable ScheduledFuture<?> expiryTask;
  private final AtomicBoolean closed = new AtomicBoolean();

  PrometheusHandler(PrometheusConfig config, MetricStore store, AdapterEnvironment environment) {
    this.store = store;
    this.environment = environment;
    Map<String, Bound> map = new HashMap<>();
    for (MetricInfo info : config.metrics()) {
      String[] keys =
          info.labelNames().stream().map(l -> "dimensions." + l).toArray(String[]::new);
      SharedMetric metric = store.acquire(info);
      metric.maxSeries = config.maxSeriesPerMetric();
      map.put(info.instanceName(), new Bound(metric, keys));
    }
    this.byInstance = Map.copyOf(map);
    if (config.expiry() == null) {
      this.idleNanos = -1;
      this.expiryTask = null;
    } else {
      this.idleNanos = config.expiry().idle().toNanos();
      Duration every = config.expiry().checkInterval();
      this.expiryTask =
          environment
              .scheduler()
              .scheduleAtFixedRate(
                  this::expire, every.toNanos(), every.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void report(List<Instance> instances) {
    long now = idleNanos < 0 ? 0 : environment.ticker().nanoTime();
    for (Instance instance : instances) {
      Bound bound = byInstance.get(instance.name());
      if (bound == null) {
        if (log.isDebugEnabled()) {
          log.debug("{}: no metric for instance '{}'", environment.handlerName(), instance.name());
        }
        continue;
      }
      Map<String, Object> fields = instance.fields();
      String[] labels;
      Object raw;
      if (fields instanceof InstanceFields positional) {
        Positions p = bound.positions(positional.layout());
        raw = p.value < 0 ? null : positional.value(p.value);
        int[] dims = p.dimensions;
        labels = new String[dims.length];
        for (int i = 0; i < dims.length; i++) {
          labels[i] = dims[i] < 0 ? "" : text(positional.value(dims[i]));
        }
      } else {
        raw = fields.get("value");
        String[] keys = bound.dimensionKeys;
        labels = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
          labels[i] = text(fields.get(keys[i]));
        }
      }
      double value = value(raw);
      if (Double.isNaN(value)) {
        if (log.isDebugEnabled()) {
          log.debug(
              "{}: instance '{}': value {} is not a number",
              environment.handlerName(),
              instance.name(),
              raw);
        }
        continue;
      }
      SharedMetric.Series series = bound.metric.series(labels, now);
      if (series == null) {
        continue; // over maxSeriesPerMetric: counted by the metric
      }
      if (idleNanos >= 0) {
        series.lastUsed = now;
      }
      try {
        series.record(value);
      } catch (IllegalArgumentException e) {
        if (log.isDebugEnabled()) {
          log.debug("{}: instance '{}': {}", environment.handlerName(), instance.name(), e.getMessage());
        }
      }
    }
  }

  /** Mixer's {@code promValue}: a number, a duration in seconds, or a numeric string; else NaN. */
  static double value(@Nullable Object raw) {
    return switch (raw) {
      case null -> Double.NaN;
      case Long l -> l;
      case Double d -> d;
      case Duration d -> d.getSeconds() + d.getNano() / 1e9;
      case String s -> {
        try {
          yield Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
          yield Double.NaN;
        }
      }
      default -> Double.NaN;
    };
  }

  /** Mixer's {@code Stringify}: absent → {@code ""}. */
  static String text(@Nullable Object value) {
    return switch (value) {
      case null -> "";
      case String s -> s;
      case Long l when l >= 0 && l < SMALL_INTS.length -> SMALL_INTS[l.intValue()];
      default -> AttributeValues.toText(value);
    };
  }

  @Override
  public void collect(MetricSink sink) {
    for (Bound b : byInstance.values()) {
      String name = b.metric.info().name();
      sink.gauge("offpath_prometheus_series", "Live series of a prometheus adapter metric.", b.metric.seriesCount(), "metric", name);
      sink.counter(
          "offpath_prometheus_series_refused",
          "Label-value combinations not created because the metric had maxSeriesPerMetric series.",
          b.metric.refusedSeries(),
          "metric",
          name);
    }
  }

  private void expire() {
    long cutoff = environment.ticker().nanoTime() - idleNanos;
    for (Bound b : byInstance.values()) {
      int removed = b.metric.expire(cutoff);
      if (removed > 0 && log.isDebugEnabled()) {
        log.debug("{}: {} idle series of {} expired", environment.handlerName(), removed,
            b.metric.info().name());
      }
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (expiryTask != null) {
      expiryTask.cancel(false);
    }
    for (Bound b : byInstance.values()) {
      store.release(b.metric);
    }
  }

  /**
   * A metric and the instance fields it reads. The positions of those fields in the report path's
   * {@link InstanceFields.Layout} are resolved on the first instance of each layout and kept (one
   * layout per instance config, so this changes only on a config reload); a racing resolution
   * writes an equal value.
   */
  private static final class Bound {
    final SharedMetric metric;
    final String[] dimensionKeys;
    private volatile @Nullable Positions positions;

    Bound(SharedMetric metric, String[] dimensionKeys) {
      this.metric = metric;
      this.dimensionKeys = dimensionKeys;
    }

    Positions positions(InstanceFields.Layout layout) {
      Positions p = positions;
      if (p == null || p.layout != layout) {
        int[] dims = new int[dimensionKeys.length];
        for (int i = 0; i < dims.length; i++) {
          dims[i] = layout.index(dimensionKeys[i]);
        }
        p = new Positions(layout, layout.index("value"), dims);
        positions = p;
      }
      return p;
    }
  }

  /** Where a layout keeps the value and each label's dimension (-1: not set by the instance). */
  private record Positions(InstanceFields.Layout layout, int value, int[] dimensions) {}
}
