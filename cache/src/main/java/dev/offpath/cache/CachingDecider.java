package dev.offpath.cache;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.TrackingAttributes;
import dev.offpath.core.runtime.Decider;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.PolicyEngine;
import dev.offpath.core.runtime.EngineSource;
import dev.offpath.core.runtime.PolicyStore;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The live policy behind a {@link CheckCache}: the precondition phase ({@link
 * PolicyEngine#checkPreconditions}) is answered from the cache when it can be; on a miss it is
 * evaluated on a recording view of the attributes and offered to the cache with its reads, keyed by
 * the engine's config version. The quota phase ({@link PolicyEngine#allocateQuotas}) runs for every
 * request, so quota is spent per request and never served from the cache.
 *
 * <p>An evaluation that enumerates the bag ({@link Attributes#names()}) depends on all of it, which
 * the reads do not describe; its decision is not stored.
 *
 * <p>Thread-safe and non-blocking as long as the engine's handlers are.
 */
public final class CachingDecider implements Decider {

  private final EngineSource engines;
  private final CheckCache cache;

  /**
   * Decides with whatever engine {@code engines} hands out, held for the check; its versions must
   * never decrease.
   */
  public CachingDecider(EngineSource engines, CheckCache cache) {
    this.engines = requireNonNull(engines, "engines");
    this.cache = requireNonNull(cache, "cache");
  }

  /** Decides with the live engine of {@code store}. */
  public static CachingDecider of(PolicyStore store, CheckCache cache) {
    return new CachingDecider((EngineSource) requireNonNull(store, "store"), cache);
  }

  public CheckCache cache() {
    return cache;
  }

  @Override
  public Decision check(Attributes attributes) {
    requireNonNull(attributes, "attributes");
    PolicyEngine engine = engines.acquire();
    try {
      long version = engine.version();
      Decision preconditions = cache.lookup(version, attributes);
      if (preconditions == null) {
        ReferencedAttributes referenced = new ReferencedAttributes();
        Recording recording = new Recording(new TrackingAttributes(attributes, referenced));
        preconditions = engine.checkPreconditions(recording);
        if (!recording.enumerated) {
          cache.store(version, attributes, referenced, preconditions);
        }
      }
      return engine.allocateQuotas(preconditions, attributes);
    } finally {
      engine.release();
    }
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
