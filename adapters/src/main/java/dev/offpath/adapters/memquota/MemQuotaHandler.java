package dev.offpath.adapters.memquota;

import dev.offpath.adapters.memquota.MemQuotaConfig.Quota;
import dev.offpath.adapters.memquota.MemQuotaConfig.QuotaOverride;
import dev.offpath.adapters.quota.QuotaDimensions;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.MeteredHandler;
import dev.offpath.core.adapter.QuotaHandler;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Allocates memquota units, exactly, for one process.
 *
 * <p>The instance's fully qualified name picks the quota; its {@code dimensions.*} fields pick the
 * first override whose dimensions all equal the instance's (compared as strings, as Mixer did),
 * else the quota's own limit. Every distinct set of dimension values has its own {@link Bucket} (a
 * rolling window, or a pool when {@code validDuration} is zero), held in a {@link
 * ConcurrentHashMap}; a bucket locks only itself, so different keys never contend.
 *
 * <p>Deduplication: a request repeating a {@code deduplicationId} (per instance name) within {@code
 * minDeduplicationDuration} gets the earlier answer and allocates nothing. The check-and-allocate
 * runs inside {@link ConcurrentHashMap#compute} on the dedup map, so concurrent retries of one id
 * allocate once. Lock order is dedup-map bin, then bucket-map bin (briefly, never held), then
 * bucket monitor; the sweep takes a bucket monitor and then a bucket-map bin, never the other way
 * round.
 *
 * <p>Memory: a periodic sweep on the environment's scheduler drops expired dedup entries and
 * retires buckets that hold no units (fully expired windows). A retired bucket refuses allocations,
 * and the allocating thread replaces it, so eviction never forgets a grant of a window. Pools
 * ({@code validDuration: 0}) unused for {@code idleBucketTimeout} are retired too (their count is
 * forgotten). At most {@code maxBuckets} buckets live at once: a request for a new dimension set
 * past that is refused with RESOURCE_EXHAUSTED rather than evicting a live bucket (which would
 * forget grants); the dedup map is bounded the same way (past it, ids are not remembered).
 * Evictions and refusals are counted ({@code offpath_memquota_bucket_evictions_total}, {@code
 * offpath_memquota_bucket_refusals_total}, gauge {@code offpath_memquota_buckets}).
 */
final class MemQuotaHandler implements QuotaHandler, MeteredHandler {

  private final String handlerName;
  private final Ticker ticker;
  private final Map<String, CompiledQuota> quotas;
  private final long dedupNanos;
  private final ConcurrentHashMap<BucketKey, Bucket> buckets = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<DedupKey, Remembered> dedup = new ConcurrentHashMap<>();
  private final ScheduledFuture<?> sweeper;
  private final int maxBuckets;
  private final long idleNanos;
  private final AtomicInteger bucketCount = new AtomicInteger();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder refusals = new LongAdder();

  MemQuotaHandler(MemQuotaConfig config, AdapterEnvironment environment) {
    this.handlerName = environment.handlerName();
    this.ticker = environment.ticker();
    Map<String, CompiledQuota> byName = new HashMap<>();
    for (Quota q : config.quotas()) {
      byName.put(q.name(), CompiledQuota.of(q));
    }
    this.quotas = Map.copyOf(byName);
    this.dedupNanos = config.minDeduplicationDuration().toNanos();
    this.maxBuckets = config.maxBuckets();
    this.idleNanos = config.idleBucketTimeout().toNanos();
    long period = Math.max(dedupNanos, TimeUnit.SECONDS.toNanos(1));
    this.sweeper =
        environment
            .scheduler()
            .scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.NANOSECONDS);
  }

  @Override
  public QuotaResult allocate(Instance instance, QuotaArgs args) {
    CompiledQuota quota = quotas.get(instance.name());
    if (quota == null) {
      return new QuotaResult(
          PolicyStatus.of(
              StatusCode.INTERNAL,
              "memquota handler " + handlerName + " has no quota named '" + instance.name() + "'"),
          0,
          Duration.ZERO);
    }
    TreeMap<String, String> dimensions = QuotaDimensions.of(instance);
    Limit limit = quota.select(dimensions);
    BucketKey key = BucketKey.of(quota.name, dimensions);
    long now = ticker.nanoTime();
    if (args.deduplicationId().isEmpty() || dedup.size() >= maxBuckets) {
      return allocate(quota.name, limit, key, args, now);
    }
    boolean[] replayed = {true};
    Remembered remembered =
        dedup.compute(
            new DedupKey(instance.name(), args.deduplicationId()),
            (k, old) -> {
              if (old != null && now - old.atNanos < dedupNanos) {
                return old;
              }
              replayed[0] = false;
              return new Remembered(allocate(quota.name, limit, key, args, now), now);
            });
    QuotaResult result = remembered.result;
    if (!replayed[0]) {
      return result;
    }
    long left = result.validDuration().toNanos() - (now - remembered.atNanos);
    return new QuotaResult(result.status(), result.granted(), Duration.ofNanos(Math.max(0, left)));
  }

  private QuotaResult allocate(String quota, Limit limit, BucketKey key, QuotaArgs args, long now) {
    long granted;
    while (true) {
      Bucket bucket = buckets.get(key);
      if (bucket == null) {
        if (bucketCount.get() >= maxBuckets) {
          refusals.increment();
          return new QuotaResult(
              PolicyStatus.of(StatusCode.RESOURCE_EXHAUSTED, "quota " + quota + ": too many distinct quota keys"),
              0,
              Duration.ZERO);
        }
        bucket =
            buckets.computeIfAbsent(
                key,
                k -> {
                  bucketCount.incrementAndGet();
                  return limit.newBucket(now, idleNanos);
                });
      }
      granted = bucket.allocate(args.amount(), args.bestEffort(), now);
      if (granted != Bucket.RETIRED) {
        break;
      }
      if (buckets.remove(key, bucket)) {
        bucketCount.decrementAndGet();
      }
    }
    if (granted == 0) {
      return new QuotaResult(
          PolicyStatus.of(
              StatusCode.RESOURCE_EXHAUSTED,
              "quota " + quota + " exhausted (" + limit.describe() + ")"),
          0,
          Duration.ZERO);
    }
    return QuotaResult.granted(granted, limit.validDuration());
  }

  /** Drops expired dedup entries and idle buckets; runs on the environment's scheduler. */
  void sweep() {
    long now = ticker.nanoTime();
    dedup.values().removeIf(r -> now - r.atNanos >= dedupNanos);
    buckets.forEach(
        (key, bucket) -> {
          if (bucket.retireIfIdle(now) && buckets.remove(key, bucket)) {
            bucketCount.decrementAndGet();
            evictions.increment();
          }
        });
  }

  int bucketCount() {
    return buckets.size();
  }

  int dedupCount() {
    return dedup.size();
  }

  long evictions() {
    return evictions.sum();
  }

  long refusals() {
    return refusals.sum();
  }

  @Override
  public void collect(MetricSink sink) {
    sink.gauge("offpath_memquota_buckets", "Live memquota buckets (distinct dimension sets).", bucketCount.get());
    sink.counter("offpath_memquota_bucket_evictions", "memquota buckets dropped as idle.", evictions.sum());
    sink.counter(
        "offpath_memquota_bucket_refusals",
        "memquota allocations refused because the handler held maxBuckets buckets.",
        refusals.sum());
  }

  @Override
  public void close() {
    sweeper.cancel(false);
  }

  private record CompiledQuota(String name, Limit limit, List<DimensionOverride> overrides) {

    static CompiledQuota of(Quota q) {
      List<DimensionOverride> overrides = new ArrayList<>();
      for (QuotaOverride o : q.overrides()) {
        overrides.add(
            new DimensionOverride(o.dimensions(), Limit.of(o.maxAmount(), o.validDuration())));
      }
      return new CompiledQuota(q.name(), Limit.of(q.maxAmount(), q.validDuration()), overrides);
    }

    Limit select(Map<String, String> dimensions) {
      for (DimensionOverride o : overrides) {
        if (o.matches(dimensions)) {
          return o.limit;
        }
      }
      return limit;
    }
  }

  private record DimensionOverride(Map<String, String> dimensions, Limit limit) {
    boolean matches(Map<String, String> instance) {
      return QuotaDimensions.matches(dimensions, instance);
    }
  }

  /** A quota and its dimension values, flattened key, value, key, value in key order. */
  private record BucketKey(String quota, List<String> dimensions) {
    static BucketKey of(String quota, TreeMap<String, String> dimensions) {
      List<String> flat = new ArrayList<>(dimensions.size() * 2);
      dimensions.forEach(
          (k, v) -> {
            flat.add(k);
            flat.add(v);
          });
      return new BucketKey(quota, flat);
    }
  }

  private record DedupKey(String instance, String deduplicationId) {}

  private record Remembered(QuotaResult result, long atNanos) {}
}
