package dev.offpath.core.runtime;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;

/**
 * What a front door asks for a decision: the live policy (possibly behind a check cache). Thread-safe
 * and non-blocking.
 */
public interface Decider {

  /** Decides on one request's attributes. */
  Decision check(Attributes attributes);

  /** The live attribute manifest, for typing values that arrive as text. */
  AttributeManifest manifest();
}
