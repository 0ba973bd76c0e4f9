package dev.offpath.server.metrics;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.config.ConfigError;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.runtime.RuntimeMetrics;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Mixer's self-monitoring metrics under Mixer's names: runtime dispatches and match errors (called
 * on request threads), and the config gauges and error counters (called on each reload).
 *
 * <p>Counters are exposed with the client library's {@code _total} suffix: a runbook's {@code
 * mixer_runtime_dispatch_count} is scraped as {@code mixer_runtime_dispatch_count_total}.
 *
 * <p>Hot path: {@link #dispatched} finds its label-bound data points through two map lookups (handler,
 * then template) without allocating; a handler's adapter is fixed by config, so it is checked rather
 * than used as a key. Thread-safe.
 */
public final class MixerMetrics implements RuntimeMetrics {

  static final double[] DISPATCH_BUCKETS = {
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private final Counter dispatchCount;
  private final Histogram dispatchDuration;
  private final Counter matchErrors;
  private final Gauge handlerCount;
  private final Gauge instanceCount;
  private final Gauge ruleCount;
  private final Gauge attributeCount;
  private final Gauge configVersion;
  private final Gauge warningCount;
  private final CounterDataPoint reloadSuccess;
  private final CounterDataPoint reloadFailure;
  private final Map<ConfigError.Category, Counter> errorCounters =
      new EnumMap<>(ConfigError.Category.class);

  private final ConcurrentHashMap<String, HandlerPoints> handlers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CounterDataPoint> matchErrorsByRule =
      new ConcurrentHashMap<>();

  public MixerMetrics(PrometheusRegistry registry) {
    requireNonNull(registry, "registry");
    dispatchCount =
        Counter.builder()
            .name("mixer_runtime_dispatch_count")
            .help("Total number of adapter dispatches handled by Mixer.")
            .labelNames("adapter", "handler", "meshFunction", "error")
            .withoutExemplars()
            .register(registry);
    dispatchDuration =
        Histogram.builder()
            .name("mixer_runtime_dispatch_duration_seconds")
            .help("Duration in seconds for adapter dispatches handled by Mixer.")
            .labelNames("adapter", "handler", "meshFunction", "error")
            .classicOnly()
            .classicUpperBounds(DISPATCH_BUCKETS)
            .withoutExemplars()
            .register(registry);
    matchErrors =
        Counter.builder()
            .name("mixer_config_rule_config_match_error_count")
            .help("The number of rule conditions that errored during evaluation.")
            .labelNames("rule")
            .withoutExemplars()
            .register(registry);
    handlerCount = gauge(registry, "mixer_config_handler_config_count", "The number of known handlers in the current config.");
    instanceCount = gauge(registry, "mixer_config_instance_config_count", "The number of known instances in the current config.");
    ruleCount = gauge(registry, "mixer_config_rule_config_count", "The number of known rules in the current config.");
    attributeCount = gauge(registry, "mixer_config_attribute_count", "The number of known attributes in the current config.");
    configVersion = gauge(registry, "offpath_config_version", "The version of the config being served.");
    warningCount = gauge(registry, "offpath_config_warning_count", "The number of warnings about the config being served.");
    Counter reloads =
        Counter.builder()
            .name("offpath_config_reload_total")
            .help("Config loads and reloads by result.")
            .labelNames("result")
            .withoutExemplars()
            .register(registry);
    reloadSuccess = reloads.labelValues("success");
    reloadFailure = reloads.labelValues("failure");
    errorCounter(registry, ConfigError.Category.HANDLER, "mixer_config_handler_validation_error_count", "The number of errors encountered during handler validation.");
    errorCounter(registry, ConfigError.Category.INSTANCE, "mixer_config_instance_config_error_count", "The number of errors encountered during processing of the instance configuration.");
    errorCounter(registry, ConfigError.Category.RULE, "mixer_config_rule_config_error_count", "The number of errors encountered during processing of the rule configuration.");
    errorCounter(registry, ConfigError.Category.MANIFEST, "mixer_config_attribute_manifest_error_count", "The number of errors encountered during processing of the attribute manifests.");
    errorCounter(registry, ConfigError.Category.SYNTAX, "mixer_config_load_error_count", "The number of errors encountered while reading config files.");
  }

  private static Gauge gauge(PrometheusRegistry registry, String name, String help) {
    return Gauge.builder().name(name).help(help).withoutExemplars().register(registry);
  }

  private void errorCounter(
      PrometheusRegistry registry, ConfigError.Category category, String name, String help) {
    errorCounters.put(
        category,
        Counter.builder().name(name).help(help).withoutExemplars().register(registry));
  }

  @Override
  public void dispatched(
      String adapter, String handler, String meshFunction, boolean error, long nanos) {
    HandlerPoints h = handlers.get(handler);
    if (h == null || !h.adapter.equals(adapter)) {
      h = handlers.compute(
          handler,
          (k, old) -> old != null && old.adapter.equals(adapter) ? old : new HandlerPoints(adapter, k));
    }
    DispatchPoints d = h.byMeshFunction.get(meshFunction);
    if (d == null) {
      d = h.byMeshFunction.computeIfAbsent(meshFunction, h::points);
    }
    int i = error ? 1 : 0;
    d.count[i].inc();
    d.duration[i].observe(nanos / 1e9);
  }

  @Override
  public void matchError(String rule) {
    CounterDataPoint point = matchErrorsByRule.get(rule);
    if (point == null) {
      point = matchErrorsByRule.computeIfAbsent(rule, matchErrors::labelValues);
    }
    point.inc();
  }

  /** A config was loaded (at start or on reload) and is now served as {@code version}. */
  public void configLoaded(PolicyConfig config, long version) {
    requireNonNull(config, "config");
    handlerCount.set(config.handlers().size());
    instanceCount.set(config.instances().size());
    ruleCount.set(config.rules().size());
    attributeCount.set(config.manifest().all().size());
    warningCount.set(config.warnings().size());
    configVersion.set(version);
    reloadSuccess.inc();
  }

  /** A config failed to load; the previous one (if any) keeps serving. */
  public void configRejected(List<ConfigError> errors) {
    requireNonNull(errors, "errors");
    reloadFailure.inc();
    for (ConfigError e : errors) {
      requireNonNull(errorCounters.get(e.category())).inc();
    }
  }

  private final class HandlerPoints {
    final String adapter;
    final String handler;
    final ConcurrentHashMap<String, DispatchPoints> byMeshFunction = new ConcurrentHashMap<>();

    HandlerPoints(String adapter, String handler) {
      this.adapter = adapter;
      this.handler = handler;
    }

    DispatchPoints points(String meshFunction) {
      return new DispatchPoints(
          new CounterDataPoint[] {
            dispatchCount.labelValues(adapter, handler, meshFunction, "false"),
            dispatchCount.labelValues(adapter, handler, meshFunction, "true")
          },
          new DistributionDataPoint[] {
            dispatchDuration.labelValues(adapter, handler, meshFunction, "false"),
            dispatchDuration.labelValues(adapter, handler, meshFunction, "true")
          });
    }
  }

  /** Index 0: success, 1: error. */
  private record DispatchPoints(CounterDataPoint[] count, DistributionDataPoint[] duration) {}
}
