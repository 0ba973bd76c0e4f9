package dev.offpath.cache;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.time.Ticker;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Mixer's check cache: decisions cached under the attributes they read.
 *
 * <p><b>What.</b> A decision is stored with the {@link ReferencedAttributes} of its evaluation. The
 * reads without their values form a <i>shape</i> (sorted absent attributes, whole-value attributes,
 * and for string maps the keys read, present or absent); each shape gets a small id. The entry key is
 * (shape id, signature), the signature a seeded 64-bit hash of the request's exact values under that
 * shape. {@link #lookup} tries every known shape whose preconditions hold for the request, computes
 * its signature, and serves the entry found there after comparing the stored exact values with the
 * request's one by one. A hash collision therefore costs a miss, never a wrong decision. Including
 * the shape id in the key keeps two shapes with equal value hashes apart (mixerclient did not).
 *
 * <p><b>Why it is sound.</b> Policy evaluation is a function of the values it reads. A request whose
 * reads under a shape return the values some earlier request saw takes the same path through the
 * rules, reads the same attributes and reaches the same decision; so any matching entry of any shape
 * is the right one, and the order shapes are tried in does not matter. The remaining inputs are
 * adapter state, which the adapters bound with {@code validDuration} / {@code validUseCount}, and the
 * config, which is handled by versions (below).
 *
 * <p><b>Not cached.</b> Error decisions ({@link Decision#error()}); decisions with {@code
 * validUseCount} 0 or a zero {@code validDuration}; and decisions that allocated quota ({@link
 * Decision#usedQuota()}): a cached decision would serve quota without spending it. {@link
 * CachingDecider} stores only the precondition phase and runs the quota phase for every request.
 * Denials are cached like allows.
 *
 * <p><b>Bounds.</b> Entries: Caffeine, {@code maximumEntries}, each expiring {@code validDuration}
 * after it was stored (per-entry {@link Expiry} on the injected ticker); every hit spends one of
 * {@code validUseCount} (negative = unlimited) and the hit that spends the last one is served and
 * removes the entry. Shapes: at most {@code maximumShapes}; a decision of a new shape beyond that is
 * not stored and counted in {@link CheckCacheStats#shapeOverflows()}.
 *
 * <p><b>Config versions.</b> Everything lives in a generation tied to one config version. A lookup or
 * store with a newer version replaces the generation (entries and shapes); one with an older version
 * (a request still on the previous engine) bypasses the cache. Versions must increase, as {@link
 * dev.offpath.core.runtime.PolicyStore} makes them.
 *
 * <p><b>Thread-safety.</b> Lookups and stores run concurrently without locks; the hit path allocates
 * nothing (each thread looks entries up with its own reusable {@link Probe} key). Shape
 * registration (rare) synchronizes on its generation.
 */
public final class CheckCache {

  public static final int DEFAULT_MAXIMUM_ENTRIES = 10_000;
  public static final int DEFAULT_MAXIMUM_SHAPES = 1000;

  /** Caffeine's longest expiry; longer lifetimes are capped to it. */
  private static final long MAX_LIFETIME_NANOS = Long.MAX_VALUE >> 1;

  private final Ticker ticker;
  private final int maximumEntries;
  private final int maximumShapes;
  private final Executor executor;
  private final long seed;
  private final long signatureMask;
  private final AtomicReference<Generation> generation;

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder writes = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder shapeOverflows = new LongAdder();

  private CheckCache(Builder b) {
    this.ticker = b.ticker;
    this.maximumEntries = b.maximumEntries;
    this.maximumShapes = b.maximumShapes;
    this.executor = b.executor;
    this.seed = b.seed;
    this.signatureMask = b.signatureMask;
    this.generation = new AtomicReference<>(newGeneration(Long.MIN_VALUE));
  }

  /** A builder using {@code ticker} for expiry. */
  public static Builder builder(Ticker ticker) {
    return new Builder(ticker);
  }

  /**
   * The cached decision for {@code attributes} under config {@code configVersion}, or {@code null} on
   * a miss. A hit spends one use of the entry.
   */
  public @Nullable Decision lookup(long configVersion, Attributes attributes) {
    CacheEntry entry = lookupEntry(configVersion, attributes);
    return entry == null ? null : entry.decision;
  }

  /**
   * {@link #lookup}, answering the entry served: its decision and the exact values it was stored
   * with, under its shape (for the decision log of a hit).
   */
  @Nullable CacheEntry lookupEntry(long configVersion, Attributes attributes) {
    requireNonNull(attributes, "attributes");
    Generation g = generation(configVersion);
    if (g != null) {
      CacheEntry e = lookup(g, attributes);
      if (e != null) {
        hits.increment();
        return e;
      }
    }
    misses.increment();
    return null;
  }

  private @Nullable CacheEntry lookup(Generation g, Attributes attributes) {
    Shape[] shapes = g.shapes;
    if (shapes.length == 0) {
      return null;
    }
    Probe probe = PROBE.get();
    for (Shape shape : shapes) {
      @Nullable Object[] scratch = probe.scratch(shape.valueCount());
      long signature = shape.signature(attributes, seed, scratch);
      if (signature == Shape.NO_MATCH) {
        probe.clear(shape.valueCount());
        continue;
      }
      probe.shape = shape.id();
      probe.signature = signature;
      CacheEntry entry = g.entries.getIfPresent(probe);
      boolean same = entry != null && shape.sameValues(entry.values, scratch);
      probe.clear(shape.valueCount());
      if (entry == null || !same) {
        continue;
      }
      // No expiry check here: Caffeine returns no entry past its expiry on this same ticker.
      switch (entry.use()) {
        case CacheEntry.SERVED:
          return entry;
        case CacheEntry.SERVED_LAST:
          remove(g, new EntryKey(shape.id(), signature), entry);
          return entry;
        default:
          remove(g, new EntryKey(shape.id(), signature), entry);
      }
    }
    return null;
  }

  private void remove(Generation g, EntryKey key, CacheEntry entry) {
    if (g.entries.asMap().remove(key, entry)) {
      evictions.increment();
    }
  }

  /**
   * Stores {@code decision}, evaluated under config {@code configVersion} on {@code attributes} with
   * {@code referenced} recording every read of that evaluation (as {@link
   * dev.offpath.core.attribute.TrackingAttributes} fills it). Does nothing for a decision that must
   * not be cached (see the class comment).
   *
   * @return whether the decision was stored
   */
  public boolean store(
      long configVersion, Attributes attributes, ReferencedAttributes referenced, Decision decision) {
    requireNonNull(attributes, "attributes");
    requireNonNull(referenced, "referenced");
    requireNonNull(decision, "decision");
    if (!cacheable(decision)) {
      return false;
    }
    Generation g = generation(configVersion);
    if (g == null) {
      return false;
    }
    Shape shape = g.lastStored;
    if (shape == null || !shape.describes(referenced)) {
      shape = shape(g, ShapeKey.of(referenced));
    }
    if (shape == null) {
      return false;
    }
    @Nullable Object[] scratch = new Object[shape.valueCount()];
    long signature = shape.signature(attributes, seed, scratch);
    if (signature == Shape.NO_MATCH) {
      // The reads do not describe these attributes (a bag that changed under evaluation).
      return false;
    }
    long now = ticker.nanoTime();
    CacheEntry entry =
        new CacheEntry(
            decision,
            shape,
            shape.values(scratch),
            now,
            lifetimeNanos(decision.validDuration()),
            decision.validUseCount());
    g.entries.put(new EntryKey(shape.id(), signature), entry);
    g.lastStored = shape;
    writes.increment();
    return true;
  }

  private static boolean cacheable(Decision d) {
    return !d.error()
        && !d.usedQuota()
        && d.validUseCount() != 0
        && d.validDuration().isPositive();
  }

  private static long lifetimeNanos(Duration d) {
    return d.compareTo(Duration.ofNanos(MAX_LIFETIME_NANOS)) >= 0 ? MAX_LIFETIME_NANOS : d.toNanos();
  }

  private @Nullable Shape shape(Generation g, ShapeKey key) {
    Shape shape = g.shapesByKey.get(key);
    if (shape != null) {
      return shape;
    }
    synchronized (g) {
      shape = g.shapesByKey.get(key);
      if (shape != null) {
        return shape;
      }
      Shape[] shapes = g.shapes;
      if (shapes.length >= maximumShapes) {
        shapeOverflows.increment();
        return null;
      }
      shape = new Shape(shapes.length, key, signatureMask);
      g.shapesByKey.put(key, shape);
      Shape[] next = Arrays.copyOf(shapes, shapes.length + 1);
      next[shapes.length] = shape;
      g.shapes = next;
      return shape;
    }
  }

  /** The generation for {@code version}, replacing an older one; null for a stale version. */
  private @Nullable Generation generation(long version) {
    Generation g = generation.get();
    while (g.version != version) {
      if (version < g.version) {
        return null;
      }
      Generation next = newGeneration(version);
      if (generation.compareAndSet(g, next)) {
        g.entries.invalidateAll();
        return next;
      }
      g = generation.get();
    }
    return g;
  }

  private Generation newGeneration(long version) {
    Cache<EntryKey, CacheEntry> entries =
        Caffeine.newBuilder()
            .maximumSize(maximumEntries)
            .ticker(ticker::nanoTime)
            .executor(executor)
            .expireAfter(new EntryExpiry())
            .evictionListener(
                (@Nullable EntryKey k, @Nullable CacheEntry v, RemovalCause cause) ->
                    evictions.increment())
            .build();
    return new Generation(version, entries);
  }

  /** Discards every entry and shape. */
  public void invalidateAll() {
    Generation g = generation.get();
    if (generation.compareAndSet(g, newGeneration(g.version))) {
      g.entries.invalidateAll();
    }
  }

  /** The counters now. */
  public CheckCacheStats stats() {
    Generation g = generation.get();
    return new CheckCacheStats(
        hits.sum(),
        misses.sum(),
        writes.sum(),
        evictions.sum(),
        g.shapes.length,
        shapeOverflows.sum(),
        g.entries.estimatedSize());
  }

  /** Runs pending Caffeine maintenance (expiry, size eviction) now. */
  public void cleanUp() {
    generation.get().entries.cleanUp();
  }

  /**
   * The key of an entry: shape id and signature. Keys in the map are never changed; {@link Probe}
   * reuses one instance per thread to look entries up without allocating.
   */
  static class EntryKey {
    int shape;
    long signature;

    EntryKey(int shape, long signature) {
      this.shape = shape;
      this.signature = signature;
    }

    @Override
    public final boolean equals(Object o) {
      return o instanceof EntryKey k && k.shape == shape && k.signature == signature;
    }

    @Override
    public final int hashCode() {
      return (int) (signature ^ signature >>> 32) * 31 + shape;
    }

    @Override
    public final String toString() {
      return shape + ":" + Long.toHexString(signature);
    }
  }

  /**
   * A thread's lookup key and scratch space for the values a signature read. Set before each
   * {@code getIfPresent} and only ever passed to reads, never to a put or remove, so it cannot end
   * up in the map. Scratch values are cleared after each shape so no request data stays reachable.
   */
  static final class Probe extends EntryKey {
    private @Nullable Object[] scratch = new Object[8];

    Probe() {
      super(-1, Shape.NO_MATCH);
    }

    @Nullable Object[] scratch(int size) {
      if (scratch.length < size) {
        scratch = new Object[Math.max(size, scratch.length * 2)];
      }
      return scratch;
    }

    void clear(int size) {
      Arrays.fill(scratch, 0, size, null);
    }
  }

  private static final ThreadLocal<Probe> PROBE = ThreadLocal.withInitial(Probe::new);

  /** The keys of the current generation's entries, for tests. */
  Set<EntryKey> entryKeys() {
    return Set.copyOf(generation.get().entries.asMap().keySet());
  }

  private static final class Generation {
    final long version;
    final Cache<EntryKey, CacheEntry> entries;
    final ConcurrentHashMap<ShapeKey, Shape> shapesByKey = new ConcurrentHashMap<>();
    volatile Shape[] shapes = new Shape[0];
    /** The shape of the last store: most stores have it, and matching it skips building a key. */
    volatile @Nullable Shape lastStored;

    Generation(long version, Cache<EntryKey, CacheEntry> entries) {
      this.version = version;
      this.entries = entries;
    }
  }

  private static final class EntryExpiry implements Expiry<EntryKey, CacheEntry> {
    @Override
    public long expireAfterCreate(EntryKey key, CacheEntry value, long currentTime) {
      return value.remainingNanos(currentTime);
    }

    @Override
    public long expireAfterUpdate(
        EntryKey key, CacheEntry value, long currentTime, long currentDuration) {
      return value.remainingNanos(currentTime);
    }

    @Override
    public long expireAfterRead(
        EntryKey key, CacheEntry value, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }

  /** Options of a {@link CheckCache}. */
  public static final class Builder {
    private final Ticker ticker;
    private int maximumEntries = DEFAULT_MAXIMUM_ENTRIES;
    private int maximumShapes = DEFAULT_MAXIMUM_SHAPES;
    private Executor executor = ForkJoinPool.commonPool();
    private long seed = ThreadLocalRandom.current().nextLong();
    private long signatureMask = -1L;

    private Builder(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
    }

    /** Most entries kept (default 10,000). */
    public Builder maximumEntries(int maximumEntries) {
      if (maximumEntries <= 0) {
        throw new IllegalArgumentException(
            "maximumEntries: " + maximumEntries + " (expected: > 0)");
      }
      this.maximumEntries = maximumEntries;
      return this;
    }

    /** Most shapes known (default 1000); each lookup may try all of them. */
    public Builder maximumShapes(int maximumShapes) {
      if (maximumShapes <= 0) {
        throw new IllegalArgumentException("maximumShapes: " + maximumShapes + " (expected: > 0)");
      }
      this.maximumShapes = maximumShapes;
      return this;
    }

    /** Where Caffeine runs maintenance (default the common pool; tests pass {@code Runnable::run}). */
    public Builder executor(Executor executor) {
      this.executor = requireNonNull(executor, "executor");
      return this;
    }

    /** Seed of the signature hash (default random), so that clients cannot aim at collisions. */
    public Builder hashSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Keeps only these signature bits; tests use it to force collisions. */
    Builder signatureMask(long signatureMask) {
      this.signatureMask = signatureMask;
      return this;
    }

    public CheckCache build() {
      return new CheckCache(this);
    }
  }
}
