package dev.offpath.core.runtime;

import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A decision, or the promise of one: what a {@link Decider} answers. A decision that needed no
 * out-of-process check adapter (a cache hit, a policy whose handlers all run in process) is the
 * {@link Decision} itself, known at once and allocated as before; one that waits for an adapter's
 * answer is a {@link PendingDecision}, completed from the thread that receives the last answer (or
 * sees its deadline pass). Front doors read {@link #now()} first and register a continuation only
 * when it is null, so the common path allocates nothing extra and no transport thread ever waits.
 */
public sealed interface Outcome permits Decision, PendingDecision {

  /** The decision when it is known; null while it is pending. */
  @Nullable Decision now();

  /**
   * Runs {@code action} with the decision: at once on this thread when it is known, else on the
   * thread that completes it. The action must not block; what it throws is logged, not propagated.
   */
  void whenDecided(Consumer<? super Decision> action);

  /** This outcome with {@code f} applied to its decision: at once when known, else on completion. */
  Outcome map(Function<? super Decision, Decision> f);

  /**
   * The decision, waiting for it if need be: for tools and tests ({@code offpath check}, {@code
   * explain}), never on a transport thread.
   */
  Decision join();
}
