package dev.offpath.server.metrics;

import dev.offpath.cache.CheckCache;
import dev.offpath.cache.CheckCacheStats;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.ToDoubleFunction;

/**
 * Exposes the check cache's counters under Mixer's names ({@code mixer_checkcache_cache_hits_total},
 * …). Read at scrape time from {@link CheckCache#stats()}: nothing is added to the check path.
 */
public final class CheckCacheMetrics {

  private CheckCacheMetrics() {}

  public static void register(CheckCache cache, PrometheusRegistry registry) {
    counter(registry, cache, "mixer_checkcache_cache_hits", "Checks answered from the check cache.", CheckCacheStats::hits);
    counter(registry, cache, "mixer_checkcache_cache_misses", "Checks not found in the check cache.", CheckCacheStats::misses);
    counter(registry, cache, "mixer_checkcache_cache_writes", "Decisions stored in the check cache.", CheckCacheStats::writes);
    counter(
        registry,
        cache,
        "mixer_checkcache_cache_evictions",
        "Check cache entries dropped for size, expiry or spent use count.",
        CheckCacheStats::evictions);
    counter(
        registry,
        cache,
        "mixer_checkcache_shape_overflows",
        "Decisions not cached because a new shape would exceed the shape bound.",
        CheckCacheStats::shapeOverflows);
    gauge(registry, cache, "mixer_checkcache_shapes", "Known check cache shapes (sets of referenced attributes).", s -> s.shapes());
    gauge(registry, cache, "mixer_checkcache_entries", "Entries in the check cache (approximate).", s -> s.entries());
  }

  private static void counter(
      PrometheusRegistry registry,
      CheckCache cache,
      String name,
      String help,
      ToDoubleFunction<CheckCacheStats> value) {
    CounterWithCallback.builder()
        .name(name)
        .help(help)
        .callback(cb -> cb.call(value.applyAsDouble(cache.stats())))
        .register(registry);
  }

  private static void gauge(
      PrometheusRegistry registry,
      CheckCache cache,
      String name,
      String help,
      ToDoubleFunction<CheckCacheStats> value) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .callback(cb -> cb.call(value.applyAsDouble(cache.stats())))
        .register(registry);
  }
}
