package dev.offpath.cache.quota;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Tuning of a {@link QuotaPool}; {@link #defaults()} are mixerclient's values where it had one.
 *
 * @param predictWindow how far back usage is counted to predict demand (1 s, in 20 slots)
 * @param minPrefetch the smallest amount a prefetch asks for (10)
 * @param closeWait in CLOSE mode (after a partial grant), the least time between prefetches (500
 *     ms)
 * @param provisionalValidity how long optimistically granted tokens live before the backend
 *     confirms them (mixerclient: 60 s; here 5 s, a failure or timeout reconciles them anyway)
 * @param responseTimeout how long a prefetch may stay unanswered before it counts as failed (5 s)
 * @param failurePolicy what a failed prefetch grants ({@link FailurePolicy#FAIL_OPEN})
 * @param failOpenValidity how long tokens granted by {@code FAIL_OPEN} live (1 s)
 */
public record PrefetchOptions(
    Duration predictWindow,
    long minPrefetch,
    Duration closeWait,
    Duration provisionalValidity,
    Duration responseTimeout,
    FailurePolicy failurePolicy,
    Duration failOpenValidity) {

  /** Slots of the usage counter over {@link #predictWindow()}. */
  static final int WINDOW_SLOTS = 20;

  private static final PrefetchOptions DEFAULTS =
      new PrefetchOptions(
          Duration.ofSeconds(1),
          10,
          Duration.ofMillis(500),
          Duration.ofSeconds(5),
          Duration.ofSeconds(5),
          FailurePolicy.FAIL_OPEN,
          Duration.ofSeconds(1));

  public PrefetchOptions {
    requireNonNull(predictWindow, "predictWindow");
    requireNonNull(closeWait, "closeWait");
    requireNonNull(provisionalValidity, "provisionalValidity");
    requireNonNull(responseTimeout, "responseTimeout");
    requireNonNull(failurePolicy, "failurePolicy");
    requireNonNull(failOpenValidity, "failOpenValidity");
    if (predictWindow.toNanos() < WINDOW_SLOTS) {
      throw new IllegalArgumentException(
          "predictWindow: " + predictWindow + " (expected: >= " + WINDOW_SLOTS + " ns)");
    }
    if (minPrefetch < 1) {
      throw new IllegalArgumentException("minPrefetch: " + minPrefetch + " (expected: > 0)");
    }
    requireNonNegative("closeWait", closeWait);
    requirePositive("provisionalValidity", provisionalValidity);
    requirePositive("responseTimeout", responseTimeout);
    requirePositive("failOpenValidity", failOpenValidity);
  }

  public static PrefetchOptions defaults() {
    return DEFAULTS;
  }

  public PrefetchOptions withFailurePolicy(FailurePolicy policy) {
    return new PrefetchOptions(
        predictWindow,
        minPrefetch,
        closeWait,
        provisionalValidity,
        responseTimeout,
        policy,
        failOpenValidity);
  }

  public PrefetchOptions withResponseTimeout(Duration timeout) {
    return new PrefetchOptions(
        predictWindow,
        minPrefetch,
        closeWait,
        provisionalValidity,
        timeout,
        failurePolicy,
        failOpenValidity);
  }

  private static void requirePositive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
    }
  }

  private static void requireNonNegative(String name, Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + ": " + d + " (expected: >= 0)");
    }
  }
}
