package dev.offpath.server.admin;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.runtime.Decider;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.Outcome;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the decisions of a {@link Decider} (ext_authz and ext_proc Checks, cached or not) and the
 * denials among them, for the introspection page's live charts. Two {@link LongAdder} increments per
 * Check at most; thread-safe.
 */
public final class DecisionCounts implements Decider {

  private final Decider delegate;
  private final LongAdder checks = new LongAdder();
  private final LongAdder denials = new LongAdder();

  public DecisionCounts(Decider delegate) {
    this.delegate = requireNonNull(delegate, "delegate");
  }

  @Override
  public Outcome decide(Attributes attributes) {
    Outcome outcome = delegate.decide(attributes);
    Decision now = outcome.now();
    if (now != null) {
      count(now);
      return now;
    }
    return outcome.map(
        d -> {
          count(d);
          return d;
        });
  }

  private void count(Decision d) {
    checks.increment();
    if (!d.allowed()) {
      denials.increment();
    }
  }

  @Override
  public AttributeManifest manifest() {
    return delegate.manifest();
  }

  public long checks() {
    return checks.sum();
  }

  public long denials() {
    return denials.sum();
  }
}
