package dev.offpath.cache;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.TrackingAttributes;
import dev.offpath.core.runtime.Decider;
import dev.offpath.core.runtime.DecisionListener;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.EngineSource;
import dev.offpath.core.runtime.Outcome;
import dev.offpath.core.runtime.PolicyEngine;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.trace.Tracer;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The live policy behind a {@link CheckCache}: the precondition phase ({@link
 * PolicyEngine#checkPreconditions}) is answered from the cache when it can be; on a miss it is
 * evaluated on a recording view of the attributes and offered to the cache with its reads, keyed by
 * the engine's config version. The quota phase ({@link PolicyEngine#allocateQuotas}) runs for every
 * request, so quota is spent per request and never served from the cache. A hit still counts its
 * rules' hits ({@link PolicyEngine#recordHits}), as if they had run.
 *
 * <p>Every decision is handed to a {@link DecisionListener} with its reads: on a miss the
 * recording made for the cache, on a hit the stored entry's values under its shape (the same record).
 *
 * <p>An evaluation that enumerates the bag ({@link Attributes#names()}) depends on all of it, which
 * the reads do not describe; its decision is not stored.
 *
 * <p>Thread-safe and non-blocking as long as the engine's handlers are (out-of-process check
 * adapters answer through {@link Outcome}).
 */
public final class CachingDecider implements Decider {

  private final EngineSource engines;
  private final CheckCache cache;
  private final DecisionListener listener;
  private final Tracer tracer;

  /**
   * Decides with whatever engine {@code engines} hands out, held for the check; its versions must
   * never decrease.
   */
  public CachingDecider(EngineSource engines, CheckCache cache) {
    this(engines, cache, DecisionListener.NONE, Tracer.NOOP);
  }

  /** {@link #CachingDecider(EngineSource, CheckCache)}, telling {@code listener} of every decision. */
  public CachingDecider(EngineSource engines, CheckCache cache, DecisionListener listener) {
    this(engines, cache, listener, Tracer.NOOP);
  }

  /**
   * As above; each lookup's result is also noted on the span current in {@code tracer} as {@code
   * offpath.cache} = {@code hit} / {@code miss}.
   */
  public CachingDecider(
      EngineSource engines, CheckCache cache, DecisionListener listener, Tracer tracer) {
    this.engines = requireNonNull(engines, "engines");
    this.cache = requireNonNull(cache, "cache");
    this.listener = requireNonNull(listener, "listener");
    this.tracer = requireNonNull(tracer, "tracer");
  }

  /** Decides with the live engine of {@code store}. */
  public static CachingDecider of(PolicyStore store, CheckCache cache) {
    return of(store, cache, Tracer.NOOP);
  }

  /** Decides with the live engine of {@code store}, noting hits and misses on {@code tracer}. */
  public static CachingDecider of(PolicyStore store, CheckCache cache, Tracer tracer) {
    return new CachingDecider(
        (EngineSource) requireNonNull(store, "store"), cache, DecisionListener.NONE, tracer);
  }

  /** Decides with the live engine of {@code store}, telling {@code listener} of every decision. */
  public static CachingDecider of(PolicyStore store, CheckCache cache, DecisionListener listener) {
    return new CachingDecider((EngineSource) requireNonNull(store, "store"), cache, listener);
  }

  public CheckCache cache() {
    return cache;
  }

  /**
   * A hit is known at once. A miss is evaluated now; when it waits for out-of-process check
   * adapters, it is stored, its quotas allocated and its engine released once they have answered.
   */
  @Override
  public Outcome decide(Attributes attributes) {
    requireNonNull(attributes, "attributes");
    PolicyEngine engine = engines.acquire();
    boolean releaseHere = true;
    try {
      long version = engine.version();
      CacheEntry hit = cache.lookupEntry(version, attributes);
      if (hit != null) {
        engine.recordHits(hit.decision);
        tracer.current().attribute("offpath.cache", "hit");
        Decision decision = engine.allocateQuotas(hit.decision, attributes);
        if (listener != DecisionListener.NONE) {
          listener.decided(attributes, decision, true, () -> hit.shape.reads(hit.values));
        }
        return decision;
      }
      tracer.current().attribute("offpath.cache", "miss");
      ReferencedAttributes referenced = new ReferencedAttributes();
      Recording recording = new Recording(new TrackingAttributes(attributes, referenced));
      Outcome preconditions = engine.checkPreconditionsAsync(recording);
      Decision now = preconditions.now();
      if (now != null) {
        return missed(engine, attributes, referenced, recording, now);
      }
      releaseHere = false;
      return preconditions.map(
          p -> {
            try {
              return missed(engine, attributes, referenced, recording, p);
            } finally {
              engine.release();
            }
          });
    } finally {
      if (releaseHere) {
        engine.release();
      }
    }
  }

  /** A miss's preconditions known: stored, then the quota phase, then the listener told. */
  private Decision missed(
      PolicyEngine engine,
      Attributes attributes,
      ReferencedAttributes referenced,
      Recording recording,
      Decision preconditions) {
    if (!recording.enumerated) {
      cache.store(engine.version(), attributes, referenced, preconditions);
    }
    Decision decision = engine.allocateQuotas(preconditions, attributes);
    if (listener != DecisionListener.NONE) {
      listener.decided(attributes, decision, false, () -> referenced);
    }
    return decision;
  }

  @Override
  public AttributeManifest manifest() {
    PolicyEngine engine = engines.acquire();
    try {
      return engine.config().manifest();
    } finally {
      engine.release();
    }
  }

  /** Notes whether the evaluation listed the bag's names. Confined to one evaluation. */
  private static final class Recording implements Attributes {
    private final TrackingAttributes tracking;
    boolean enumerated;

    Recording(TrackingAttributes tracking) {
      this.tracking = tracking;
    }

    @Override
    public @Nullable Object get(String name) {
      return tracking.get(name);
    }

    @Override
    public @Nullable Object get(int id, String name) {
      return tracking.get(id, name);
    }

    @Override
    public Set<String> names() {
      enumerated = true;
      return tracking.names();
    }
  }
}
