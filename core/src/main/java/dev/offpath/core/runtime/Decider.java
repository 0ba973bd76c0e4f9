package dev.offpath.core.runtime;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;

/**
 * What a front door asks for a decision: the live policy (possibly behind a check cache).
 * Thread-safe and non-blocking.
 */
public interface Decider {

  /**
   * Decides on one request's attributes: the {@link Decision} itself when it is known at once, a
   * {@link PendingDecision} when an out-of-process check adapter must answer first (see {@link
   * Outcome}). Never blocks.
   */
  Outcome decide(Attributes attributes);

  /**
   * {@link #decide}, waiting for a pending decision: for tools and tests, never on a transport
   * thread.
   */
  default Decision check(Attributes attributes) {
    return decide(attributes).join();
  }

  /** The live attribute manifest, for typing values that arrive as text. */
  AttributeManifest manifest();
}
