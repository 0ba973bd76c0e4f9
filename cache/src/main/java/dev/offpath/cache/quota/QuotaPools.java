package dev.offpath.cache.quota;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.offpath.core.time.Ticker;
import java.time.Duration;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The {@link QuotaPool}s of one quota, keyed by what selects a backend bucket (mixerclient: the
 * quota name and the signature of the attributes the quota instance referenced). Pools are created
 * on first use, each with the backend {@code backends} builds for its key, and dropped after {@code
 * idleTimeout} without checks or beyond {@code maximumPools} (least recently used first). Dropping
 * a pool forgets its unspent tokens, which the backend then counts as used until they expire; its
 * counters are kept, so {@link #stats()} never goes down. Thread-safe.
 */
public final class QuotaPools<K> {

  private final Cache<K, QuotaPool> pools;
  private final Function<? super K, ? extends QuotaBackend> backends;
  private final Ticker ticker;
  private final PrefetchOptions options;
  private final Object retiredLock = new Object();
  private QuotaPoolStats retired = QuotaPoolStats.EMPTY;

  public QuotaPools(
      Function<? super K, ? extends QuotaBackend> backends,
      Ticker ticker,
      PrefetchOptions options,
      long maximumPools,
      Duration idleTimeout) {
    this.backends = requireNonNull(backends, "backends");
    this.ticker = requireNonNull(ticker, "ticker");
    this.options = requireNonNull(options, "options");
    requireNonNull(idleTimeout, "idleTimeout");
    if (maximumPools < 1) {
      throw new IllegalArgumentException("maximumPools: " + maximumPools + " (expected: > 0)");
    }
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: > 0)");
    }
    this.pools =
        Caffeine.newBuilder()
            .ticker(ticker::nanoTime)
            .executor(Runnable::run)
            .maximumSize(maximumPools)
            .expireAfterAccess(idleTimeout)
            .removalListener(
                (@Nullable K key, @Nullable QuotaPool pool, RemovalCause cause) -> {
                  if (pool != null) {
                    synchronized (retiredLock) {
                      retired = retired.plus(pool.stats());
                    }
                  }
                })
            .build();
  }

  /** Checks {@code amount} tokens against the pool of {@code key}, creating it if needed. */
  public boolean check(K key, long amount) {
    return pool(key).check(amount);
  }

  public QuotaPool pool(K key) {
    requireNonNull(key, "key");
    QuotaPool pool = pools.getIfPresent(key); // no capturing lambda on the common path
    return pool != null ? pool : pools.get(key, this::newPool);
  }

  private QuotaPool newPool(K key) {
    return new QuotaPool(backends.apply(key), ticker, options);
  }

  public long size() {
    pools.cleanUp();
    return pools.estimatedSize();
  }

  /** Tokens held by the live pools. */
  public long available() {
    long sum = 0;
    for (QuotaPool pool : pools.asMap().values()) {
      sum += pool.available();
    }
    return sum;
  }

  /** Prefetches in flight over the live pools. */
  public long inFlight() {
    long sum = 0;
    for (QuotaPool pool : pools.asMap().values()) {
      sum += pool.inFlight();
    }
    return sum;
  }

  /** The sum of the counters of every pool created so far, live or dropped. */
  public QuotaPoolStats stats() {
    QuotaPoolStats sum;
    synchronized (retiredLock) {
      sum = retired;
    }
    for (QuotaPool pool : pools.asMap().values()) {
      sum = sum.plus(pool.stats());
    }
    return sum;
  }
}
