package dev.offpath.core.adapter;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.time.Ticker;
import java.time.Duration;

/**
 * Stops calling a backend that keeps failing: one per failure domain (an out-of-process adapter's
 * handler, a Redis node). CLOSED: calls pass; {@code threshold} consecutive failures open it.
 * OPEN: calls are refused at once for {@code openDuration}; then one call passes as a probe
 * (HALF_OPEN) while the others are still refused. The probe's success closes the breaker, its
 * failure opens it for another {@code openDuration}. A probe must be settled (every caller's call
 * has a deadline), or the breaker stays half open.
 *
 * <p>Thread-safe. State changes hold the monitor for a few field updates; the closed state is
 * read without it ({@code volatile}), so a healthy backend's calls ({@link #tryAcquire} and a
 * success after no failure) take no lock: an out-of-process check adapter is called from the
 * request path.
 */
public final class CircuitBreaker {

  /** The breaker's state, as exported by the callers' gauges. */
  public enum State {
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

  public CircuitBreaker(Ticker ticker, int threshold, Duration openDuration) {
    this.ticker = requireNonNull(ticker, "ticker");
    if (threshold < 1) {
      throw new IllegalArgumentException("threshold: " + threshold + " (expected: > 0)");
    }
    this.threshold = threshold;
    this.openNanos = requireNonNull(openDuration, "openDuration").toNanos();
  }

  /** Whether a call may go out now; a {@code true} must be followed by success or failure. */
  public boolean tryAcquire() {
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

  public void onSuccess() {
    if (state == State.CLOSED && consecutiveFailures == 0) {
      return; // the common case, without the lock
    }
    synchronized (this) {
      state = State.CLOSED;
      consecutiveFailures = 0;
    }
  }

  public synchronized void onFailure() {
    consecutiveFailures++;
    if (state == State.HALF_OPEN || (state == State.CLOSED && consecutiveFailures >= threshold)) {
      state = State.OPEN;
      openUntil = ticker.nanoTime() + openNanos;
      opened++;
    }
  }

  /** An open breaker lets its probe go at once (the backend changed: a failover, a new address). */
  public synchronized void probeNow() {
    if (state == State.OPEN) {
      openUntil = ticker.nanoTime();
    }
  }

  public State state() {
    return state;
  }

  /** How many times the breaker opened. */
  public synchronized long openedCount() {
    return opened;
  }
}
