package dev.offpath.adapters.memquota;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Parsed {@code memquota} params.
 *
 * @param quotas the known quotas, by fully qualified instance name
 * @param minDeduplicationDuration how long a deduplication id is remembered
 * @param maxBuckets distinct dimension sets (buckets) the handler holds at most; a new one past
 *     that is refused (Offpath's own bound: dimensions often come from clients)
 * @param idleBucketTimeout how long a {@code validDuration: 0} pool may go unused before it is
 *     dropped (and its count forgotten); windows are dropped once fully refilled
 */
public record MemQuotaConfig(
    List<Quota> quotas, Duration minDeduplicationDuration, int maxBuckets, Duration idleBucketTimeout) {

  public MemQuotaConfig {
    quotas = List.copyOf(quotas);
    requireNonNull(minDeduplicationDuration, "minDeduplicationDuration");
    requireNonNull(idleBucketTimeout, "idleBucketTimeout");
    if (maxBuckets <= 0) {
      throw new IllegalArgumentException("maxBuckets: " + maxBuckets + " (expected: > 0)");
    }
  }

  /**
   * One quota: {@code maxAmount} units per {@code validDuration} (a rolling window), or a pool of
   * {@code maxAmount} units that never expire when {@code validDuration} is zero.
   */
  public record Quota(
      String name, long maxAmount, Duration validDuration, List<QuotaOverride> overrides) {

    public Quota {
      requireNonNull(name, "name");
      requireNonNull(validDuration, "validDuration");
      overrides = List.copyOf(overrides);
    }
  }

  /**
   * A limit for instances whose dimensions include all of {@code dimensions}; the first match wins.
   */
  public record QuotaOverride(
      Map<String, String> dimensions, long maxAmount, Duration validDuration) {

    public QuotaOverride {
      dimensions = Map.copyOf(dimensions);
      requireNonNull(validDuration, "validDuration");
    }
  }
}
