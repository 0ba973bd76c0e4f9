package dev.offpath.adapters.memquota;

/**
 * A rate limit of {@code max} units per rolling window, as Mixer's memquota kept it: the window is
 * cut into {@code slots.length} time slots of {@code slotNanos}; a grant is recorded in the current
 * slot and returned to {@code available} once that slot falls out of the window, i.e. {@code
 * slots.length} slots later. Memory per window is fixed (see {@link Limit} for the slot sizing).
 *
 * <p>Invariant: {@code available + sum(slots) == max}. Thread-safe through its own monitor.
 */
final class RollingWindow implements Bucket {

  private final long max;
  private final long slotNanos;
  private final long[] slots;
  private int current;
  private long currentTick;
  private long available;
  private boolean retired;

  RollingWindow(long max, long slotNanos, int slotCount, long nowNanos) {
    this.max = max;
    this.slotNanos = slotNanos;
    this.slots = new long[slotCount];
    this.currentTick = Math.floorDiv(nowNanos, slotNanos);
    this.available = max;
  }

  @Override
  public synchronized long allocate(long amount, boolean bestEffort, long nowNanos) {
    if (retired) {
      return RETIRED;
    }
    roll(nowNanos);
    long granted = amount <= available ? amount : bestEffort ? available : 0;
    slots[current] += granted;
    available -= granted;
    return granted;
  }

  @Override
  public synchronized boolean retireIfIdle(long nowNanos) {
    roll(nowNanos);
    if (available == max) {
      retired = true;
    }
    return retired;
  }

  synchronized long available(long nowNanos) {
    roll(nowNanos);
    return available;
  }

  private void roll(long nowNanos) {
    long tick = Math.floorDiv(nowNanos, slotNanos);
    long behind = tick - currentTick;
    if (behind <= 0) {
      return;
    }
    int expired = (int) Math.min(behind, slots.length);
    for (int i = 1; i <= expired; i++) {
      int index = (current + i) % slots.length;
      available += slots[index];
      slots[index] = 0;
    }
    current = (int) ((current + behind % slots.length) % slots.length);
    currentTick = tick;
  }
}
