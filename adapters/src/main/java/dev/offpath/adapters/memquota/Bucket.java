package dev.offpath.adapters.memquota;

/**
 * The counter behind one quota and one set of dimension values. Implementations lock themselves, so
 * buckets of different keys never contend. A bucket found idle by {@link #retireIfIdle} is retired
 * for good: later allocations return {@link #RETIRED} and the caller replaces it with a fresh
 * bucket, so eviction never loses a grant.
 */
interface Bucket {

  long RETIRED = -1;

  /**
   * Takes up to {@code amount} units at time {@code nowNanos}: all of them, or as many as are left
   * when {@code bestEffort}, or none.
   *
   * @return the units granted, or {@link #RETIRED}
   */
  long allocate(long amount, boolean bestEffort, long nowNanos);

  /**
   * Retires the bucket if it holds no units at {@code nowNanos}; true if retired (now or before).
   */
  boolean retireIfIdle(long nowNanos);
}
