package dev.offpath.adapters.memquota;

/**
 * A quota with {@code validDuration} zero: {@code maxAmount} units that are never given back. A
 * pool unused for {@code idleNanos} is retired by the sweep (its count forgotten: the bound that
 * keeps clients inventing dimension values from holding memory for ever).
 */
final class AllocationPool implements Bucket {

  private final long max;
  private final long idleNanos;
  private long used;
  private long lastUsedNanos;
  private boolean retired;

  AllocationPool(long max, long idleNanos, long nowNanos) {
    this.max = max;
    this.idleNanos = idleNanos;
    this.lastUsedNanos = nowNanos;
  }

  @Override
  public synchronized long allocate(long amount, boolean bestEffort, long nowNanos) {
    if (retired) {
      return RETIRED;
    }
    long left = max - used;
    long granted = amount <= left ? amount : bestEffort ? left : 0;
    used += granted;
    lastUsedNanos = nowNanos;
    return granted;
  }

  @Override
  public synchronized boolean retireIfIdle(long nowNanos) {
    if (used == 0 || nowNanos - lastUsedNanos >= idleNanos) {
      retired = true;
    }
    return retired;
  }
}
