package dev.offpath.adapters.memquota;

/** A quota with {@code validDuration} zero: {@code maxAmount} units that are never given back. */
final class AllocationPool implements Bucket {

  private final long max;
  private long used;
  private boolean retired;

  AllocationPool(long max) {
    this.max = max;
  }

  @Override
  public synchronized long allocate(long amount, boolean bestEffort, long nowNanos) {
    if (retired) {
      return RETIRED;
    }
    long left = max - used;
    long granted = amount <= left ? amount : bestEffort ? left : 0;
    used += granted;
    return granted;
  }

  @Override
  public synchronized boolean retireIfIdle(long nowNanos) {
    if (used == 0) {
      retired = true;
    }
    return retired;
  }
}
