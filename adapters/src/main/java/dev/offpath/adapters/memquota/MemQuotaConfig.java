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
 */
public record MemQuotaConfig(List<Quota> quotas, Duration minDeduplicationDuration) {

  public MemQuotaConfig {
    quotas = List.copyOf(quotas);
    requireNonNull(minDeduplicationDuration, "minDeduplicationDuration");
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
