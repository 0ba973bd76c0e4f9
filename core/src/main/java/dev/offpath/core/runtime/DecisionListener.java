package dev.offpath.core.runtime;

import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import java.util.function.Supplier;

/**
 * Told of every decision a {@link Decider} makes, evaluated or served from the check cache: the
 * decision log and the dry-run counters listen here (README "Operating Offpath"). A cached decision
 * carries its {@link Decision#dryRunDenials()}, so a listener sees a dry-run rule's would-be denial
 * on every request it applies to, hit or miss.
 *
 * <p>Called on the request thread right after the decision: must be cheap, thread-safe and never
 * block. {@code reads} rebuilds the attributes the precondition phase read (the check cache's record
 * of them); it allocates, so call it only for a decision you keep.
 */
public interface DecisionListener {

  /**
   * @param attributes the request's attributes (reading them records nothing)
   * @param cached whether the precondition answer came from the check cache
   * @param reads the precondition phase's reads; valid after this call returns
   */
  void decided(
      Attributes attributes,
      Decision decision,
      boolean cached,
      Supplier<ReferencedAttributes> reads);

  DecisionListener NONE = (attributes, decision, cached, reads) -> {};
}
