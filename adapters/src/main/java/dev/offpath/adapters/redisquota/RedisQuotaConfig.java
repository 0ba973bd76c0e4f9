package dev.offpath.adapters.redisquota;

import static java.util.Objects.requireNonNull;

import dev.offpath.cache.quota.FailurePolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Parsed {@code redisquota} params.
 *
 * @param endpoint the parsed {@code redisServerUrl}, with the password from the URL, {@code
 *     redisPasswordFile} or {@code redisPasswordEnv} (a {@link Secret}: never printed)
 * @param caFile PEM certificates to trust for TLS ({@code redisCaFile}), else the JVM's trust store
 * @param connectionPoolSize connections to Redis, used round-robin; each one pipelines
 * @param quotas the known quotas, by fully qualified instance name
 * @param failurePolicy what a check gets while Redis fails or is unreachable
 * @param failOpenValidity how long tokens granted by {@link FailurePolicy#FAIL_OPEN} live
 * @param timeout how long one Redis call may take before it counts as failed
 * @param breakerFailures consecutive failed calls that open the circuit breaker
 * @param breakerOpenDuration how long an open breaker fails calls at once before one probe
 */
public record RedisQuotaConfig(
    RedisEndpoint endpoint,
    @Nullable Path caFile,
    int connectionPoolSize,
    List<Quota> quotas,
    FailurePolicy failurePolicy,
    Duration failOpenValidity,
    Duration timeout,
    int breakerFailures,
    Duration breakerOpenDuration) {

  public RedisQuotaConfig {
    requireNonNull(endpoint, "endpoint");
    quotas = List.copyOf(quotas);
    requireNonNull(failurePolicy, "failurePolicy");
    requireNonNull(failOpenValidity, "failOpenValidity");
    requireNonNull(timeout, "timeout");
    requireNonNull(breakerOpenDuration, "breakerOpenDuration");
  }

  /** How a quota's window moves. */
  public enum Algorithm {
    /** {@code maxAmount} per window that starts at the window's first allocation. */
    FIXED_WINDOW,
    /**
     * {@code maxAmount} in any {@code validDuration}, counted in buckets of {@code bucketDuration}.
     */
    ROLLING_WINDOW
  }

  /**
   * One quota. {@code bucketDuration} is only used by {@link Algorithm#ROLLING_WINDOW}.
   */
  public record Quota(
      String name,
      long maxAmount,
      Duration validDuration,
      Duration bucketDuration,
      Algorithm algorithm,
      List<QuotaOverride> overrides) {

    public Quota {
      requireNonNull(name, "name");
      requireNonNull(validDuration, "validDuration");
      requireNonNull(bucketDuration, "bucketDuration");
      requireNonNull(algorithm, "algorithm");
      overrides = List.copyOf(overrides);
    }
  }

  /** A {@code maxAmount} for instances whose dimensions include all of {@code dimensions}. */
  public record QuotaOverride(Map<String, String> dimensions, long maxAmount) {

    public QuotaOverride {
      dimensions = Map.copyOf(dimensions);
    }
  }
}
