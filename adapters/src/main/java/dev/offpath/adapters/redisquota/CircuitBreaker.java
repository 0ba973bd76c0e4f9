package dev.offpath.adapters.redisquota;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.time.Ticker;
import java.time.Duration;

/**
 * Stops calling a backend that keeps failing. CLOSED: calls pass; {@code threshold} consecutive
 * failures open it. OPEN: calls are refused at once for {@code openDuration}; then one call passes
 * as a probe (HALF_OPEN) while the others are still refused. The probe's success closes the
 * breaker, its failure opens it for another {@code openDuration}.
 *
 * <p>Thread-safe; every method takes the monitor for a few field updates (calls are prefetches, a
 * few per second per pool, so contention is not a concern).
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

  private State state = State.CLOSED;
  private int consecutiveFailures;
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
  synchronized boolean tryAcquire() {
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

  synchronized void onSuccess() {
    state = State.CLOSED;
    consecutiveFailures = 0;
  }

  synchronized void onFailure() {
    consecutiveFailures++;
    if (state == State.HALF_OPEN || (state == State.CLOSED && consecutiveFailures >= threshold)) {
      state = State.OPEN;
      openUntil = ticker.nanoTime() + openNanos;
      opened++;
    }
  }

  /** An open breaker lets its probe go at once (the backend changed: a failover). */
  synchronized void probeNow() {
    if (state == State.OPEN) {
      openUntil = ticker.nanoTime();
    }
  }

  synchronized State state() {
    return state;
  }

  /** How many times the breaker opened. */
  synchronized long openedCount() {
    return opened;
  }
}
