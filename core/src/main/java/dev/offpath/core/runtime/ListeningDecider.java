package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.TrackingAttributes;

/**
 * The live policy without a check cache, telling a {@link DecisionListener} of every decision: the
 * precondition phase runs on a recording view of the attributes (as the cache's would), so the
 * listener gets the same reads a cached server logs. Used when the cache is turned off and a listener
 * is needed; without a listener the {@link PolicyStore} itself is the decider.
 *
 * <p>Thread-safe and non-blocking as long as the engine's handlers are.
 */
public final class ListeningDecider implements Decider {

  private final PolicyStore store;
  private final DecisionListener listener;

  public ListeningDecider(PolicyStore store, DecisionListener listener) {
    this.store = requireNonNull(store, "store");
    this.listener = requireNonNull(listener, "listener");
  }

  @Override
  public Outcome decide(Attributes attributes) {
    requireNonNull(attributes, "attributes");
    PolicyEngine engine = store.acquire();
    Outcome outcome;
    try {
      ReferencedAttributes referenced = new ReferencedAttributes();
      Outcome preconditions =
          engine.checkPreconditionsAsync(new TrackingAttributes(attributes, referenced));
      outcome =
          preconditions.map(
              p -> {
                Decision decision = engine.allocateQuotas(p, attributes);
                listener.decided(attributes, decision, false, () -> referenced);
                return decision;
              });
    } catch (RuntimeException e) {
      engine.release();
      throw e;
    }
    return Holding.release(engine, outcome);
  }

  @Override
  public AttributeManifest manifest() {
    return store.manifest();
  }
}
