package dev.offpath.adapters.memquota;

import java.time.Duration;

/**
 * A resolved limit (a quota's own or an override's) and how its buckets are built. A window is cut
 * into slots of 100 ms, as Mixer did, but into at most {@value #MAX_SLOTS} slots, so that a long
 * window costs no more memory than a short one; a grant frees up between one slot and the full
 * window later.
 */
record Limit(long maxAmount, Duration validDuration, long slotNanos, int slotCount) {

  static final int MAX_SLOTS = 60;
  static final long MIN_SLOT_NANOS = 100_000_000L;

  static Limit of(long maxAmount, Duration validDuration) {
    if (validDuration.isZero()) {
      return new Limit(maxAmount, validDuration, 0, 0);
    }
    long window = validDuration.toNanos();
    long slot = Math.max(MIN_SLOT_NANOS, ceilDiv(window, MAX_SLOTS));
    return new Limit(maxAmount, validDuration, slot, (int) ceilDiv(window, slot));
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  boolean isWindow() {
    return slotCount > 0;
  }

  Bucket newBucket(long nowNanos, long idleNanos) {
    return isWindow()
        ? new RollingWindow(maxAmount, slotNanos, slotCount, nowNanos)
        : new AllocationPool(maxAmount, idleNanos, nowNanos);
  }

  /** How the limit reads in a denial: {@code 500 per 1s} or {@code 500 in total}. */
  String describe() {
    return maxAmount + (isWindow() ? " per " + format(validDuration) : " in total");
  }

  private static String format(Duration d) {
    if (d.getNano() == 0) {
      return d.getSeconds() + "s";
    }
    if (d.getNano() % 1_000_000 == 0) {
      return d.toMillis() + "ms";
    }
    return d.toNanos() + "ns";
  }
}
