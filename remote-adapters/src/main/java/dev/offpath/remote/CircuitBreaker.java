package dev.offpath.remote;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.time.Ticker;
import java.time.Duration;

/**
 * Stops calling an adapter that keeps failing (one per handler). CLOSED: calls pass; {@code
 * threshold} consecutive failures open it. OPEN: calls are refused at once for {@code
 * openDuration}; then one call passes as a probe (HALF_OPEN) while the others are still refused;
 * the probe's success closes the breaker, its failure opens it again. A probe that is never
 * settled (it cannot be: every call has a deadline) would keep the breaker half open.
 *
 * <p>Thread-safe: a monitor held for a few field updates. The closed state is read without it
 * ({@code volatile}), so the common path of a healthy adapter takes no lock.
 */
final class CircuitBreaker {

  enum State {
    CLOSED,
    OPEN,
    HALF_OPEN
  }

  private final Ticker ticker;
  private final int threshold;
  private final long openNanos;

  private volatile State state = State.CLOSED;
  private volatile int consecutiveFailures;
  private long openUntil;
  private long opened;

  CircuitBreaker(Ticker ticker, int threshold, Duration openDuration) {
    this.ticker = requireNonNull(ticker, "ticker");
    if (threshold < 1) {
      throw new IllegalArgumentException("threshold: " + threshold + " (expected: > 0)");
    }
    this.threshold = threshold;
    this.openNanos = requireNonNull(openDuration, "openDuration").toNanos();
  }

  /** Whether a call may go out now; a {@code true} must be followed by success or failure. */
  boolean tryAcquire() {
    if (state == State.CLOSED) {
      return true;
    }
    synchronized (this) {
      switch (state) {
        case CLOSED:
          return true;
        case OPEN:
          if (ticker.nanoTime() - openUntil >= 0) {
            state = State.HALF_OPEN;
            return true;
          }
          return false;
        default:
          return false;
      }
    }
  }

  void onSuccess() {
    if (state == State.CLOSED && consecutiveFailures == 0) {
      return; // the common case, without the lock
    }
    synchronized (this) {
      state = State.CLOSED;
      consecutiveFailures = 0;
    }
  }

  synchronized void onFailure() {
    consecutiveFailures++;
    if (state == State.HALF_OPEN || (state == State.CLOSED && consecutiveFailures >= threshold)) {
      state = State.OPEN;
      openUntil = ticker.nanoTime() + openNanos;
      opened++;
    }
  }

  State state() {
    return state;
  }

  /** How many times the breaker opened. */
  synchronized long openedCount() {
    return opened;
  }
}
