package dev.offpath.cache;

import dev.offpath.core.runtime.Decision;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A cached decision with the exact values it was computed for, when it was stored and how long and
 * how many more times it may be served. Uses are spent with a compare-and-set, so under contention
 * exactly {@code validUseCount} hits are served.
 */
final class CacheEntry {

  static final int EXHAUSTED = 0;
  static final int SERVED = 1;
  static final int SERVED_LAST = 2;

  private static final VarHandle REMAINING;

  static {
    try {
      REMAINING =
          MethodHandles.lookup().findVarHandle(CacheEntry.class, "remaining", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final Decision decision;
  final Shape shape;
  final Object[] values;
  final long createdNanos;
  final long lifetimeNanos;

  /** Uses left; negative = unlimited. */
  @SuppressWarnings("unused") // accessed through REMAINING
  private volatile int remaining;

  CacheEntry(
      Decision decision,
      Shape shape,
      Object[] values,
      long createdNanos,
      long lifetimeNanos,
      int uses) {
    this.decision = decision;
    this.shape = shape;
    this.values = values;
    this.createdNanos = createdNanos;
    this.lifetimeNanos = lifetimeNanos;
    this.remaining = uses;
  }

  /** Nanoseconds left at {@code nowNanos}, at least 0. */
  long remainingNanos(long nowNanos) {
    return Math.max(0, lifetimeNanos - (nowNanos - createdNanos));
  }

  /** Spends one use: {@link #SERVED}, {@link #SERVED_LAST} (now exhausted) or {@link #EXHAUSTED}. */
  int use() {
    for (; ; ) {
      int r = (int) REMAINING.getVolatile(this);
      if (r < 0) {
        return SERVED;
      }
      if (r == 0) {
        return EXHAUSTED;
      }
      if (REMAINING.compareAndSet(this, r, r - 1)) {
        return r == 1 ? SERVED_LAST : SERVED;
      }
    }
  }
}
