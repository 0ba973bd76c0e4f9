package dev.offpath.cache;

/**
 * A snapshot of the check cache's counters, for metrics. Counters are cumulative since the cache was
 * built; {@code shapes} and {@code entries} describe the current config version.
 *
 * @param hits lookups answered from the cache ({@code mixer_checkcache_cache_hits_total})
 * @param misses lookups not answered ({@code mixer_checkcache_cache_misses_total})
 * @param writes decisions stored ({@code mixer_checkcache_cache_writes_total})
 * @param evictions entries dropped for size, expiry or spent use count, not by a config change
 *     ({@code mixer_checkcache_cache_evictions_total})
 * @param shapes known shapes ({@code mixer_checkcache_shapes})
 * @param shapeOverflows decisions not stored because a new shape would exceed the shape bound
 * @param entries approximate number of entries
 */
public record CheckCacheStats(
    long hits,
    long misses,
    long writes,
    long evictions,
    int shapes,
    long shapeOverflows,
    long entries) {}
