package dev.offpath.cache.quota;

import java.util.Arrays;

/**
 * Tokens asked for during the last window, kept in a ring of equal time slots; a slot's count
 * leaves the total when the ring rolls over it. Resolution is one slot: the count covers between
 * {@code slots - 1} and {@code slots} slot durations. Not thread-safe; {@link QuotaPool} guards it.
 */
final class UsageCounter {

  private final long[] slots;
  private final long slotNanos;
  private int current;
  private long total;
  private long currentStart;

  UsageCounter(int slotCount, long windowNanos, long now) {
    this.slots = new long[slotCount];
    this.slotNanos = windowNanos / slotCount;
    this.currentStart = now;
  }

  void add(long amount, long now) {
    roll(now);
    slots[current] += amount;
    total += amount;
  }

  long count(long now) {
    roll(now);
    return total;
  }

  private void roll(long now) {
    long steps = (now - currentStart) / slotNanos;
    if (steps <= 0) {
      return;
    }
    if (steps >= slots.length) {
      Arrays.fill(slots, 0);
      total = 0;
      current = 0;
      currentStart = now;
      return;
    }
    for (long i = 0; i < steps; i++) {
      current = (current + 1) % slots.length;
      total -= slots[current];
      slots[current] = 0;
    }
    currentStart += steps * slotNanos;
  }
}
