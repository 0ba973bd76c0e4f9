package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.log.RateLimitedLog;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A decision waiting for out-of-process check adapters (see {@link Outcome}). The future always
 * completes normally: the engine turns every adapter failure into a decision (README
 * "Out-of-process adapters"), so a front door's continuation always runs.
 *
 * <p>Thread-safe.
 */
public final class PendingDecision implements Outcome {

  private static final Logger log = LoggerFactory.getLogger(PendingDecision.class);
  private static final RateLimitedLog failures = RateLimitedLog.of(log);

  private final CompletableFuture<Decision> future;

  public PendingDecision(CompletableFuture<Decision> future) {
    this.future = requireNonNull(future, "future");
  }

  @Override
  public @Nullable Decision now() {
    return future.getNow(null);
  }

  @Override
  public void whenDecided(Consumer<? super Decision> action) {
    requireNonNull(action, "action");
    future.whenComplete(
        (decision, e) -> {
          if (e != null) {
            failures.error("pending-failed", "a pending decision failed", e);
            return;
          }
          try {
            action.accept(decision);
          } catch (RuntimeException thrown) {
            failures.error("pending-action", "a decision's continuation threw", thrown);
          }
        });
  }

  @Override
  public Outcome map(Function<? super Decision, Decision> f) {
    requireNonNull(f, "f");
    return new PendingDecision(future.thenApply(f));
  }

  @Override
  public Decision join() {
    return future.join();
  }

  /** The underlying future, for callers that compose futures. */
  public CompletableFuture<Decision> future() {
    return future;
  }
}
