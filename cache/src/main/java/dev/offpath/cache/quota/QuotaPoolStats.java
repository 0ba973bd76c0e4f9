package dev.offpath.cache.quota;

import dev.offpath.core.adapter.MeteredHandler.MetricSink;

/**
 * Counters of one {@link QuotaPool} (or the sum over a {@link QuotaPools}), since creation.
 *
 * @param passes checks that passed
 * @param denials checks that were denied
 * @param prefetches allocations sent to the backend
 * @param optimisticGrants prefetches whose amount was made available before the backend answered
 * @param grantedTokens tokens the backend granted (or {@code FAIL_OPEN} granted in its stead)
 * @param overshoot tokens that passed optimistically and that no later grant covered
 * @param failOpenPasses tokens passed without cover while failing open ({@link FailurePolicy})
 * @param failures prefetches that failed (failed future, error status or timeout)
 * @param timeouts of those, prefetches not answered within the response timeout
 */
public record QuotaPoolStats(
    long passes,
    long denials,
    long prefetches,
    long optimisticGrants,
    long grantedTokens,
    long overshoot,
    long failOpenPasses,
    long failures,
    long timeouts) {

  public static final QuotaPoolStats EMPTY = new QuotaPoolStats(0, 0, 0, 0, 0, 0, 0, 0, 0);

  public QuotaPoolStats plus(QuotaPoolStats o) {
    return new QuotaPoolStats(
        passes + o.passes,
        denials + o.denials,
        prefetches + o.prefetches,
        optimisticGrants + o.optimisticGrants,
        grantedTokens + o.grantedTokens,
        overshoot + o.overshoot,
        failOpenPasses + o.failOpenPasses,
        failures + o.failures,
        timeouts + o.timeouts);
  }

  /**
   * Writes the token counters shared by every pooled quota handler: {@code <prefix>prefetches},
   * {@code granted_tokens}, {@code overshoot_tokens}, {@code fail_open_passes} and {@code failures}
   * ({@code _total} added by the sink). Passes and denials are the caller's, under its own name.
   *
   * @param backend how the help text names the backend ("Redis", "the adapter")
   */
  public void collectTokens(MetricSink sink, String prefix, String backend) {
    sink.counter(prefix + "prefetches", "Prefetches sent to " + backend + ".", prefetches);
    sink.counter(
        prefix + "granted_tokens",
        "Tokens granted to the pools (by " + backend + ", or by FAIL_OPEN in its stead).",
        grantedTokens);
    sink.counter(
        prefix + "overshoot_tokens",
        "Tokens passed optimistically that no later grant covered.",
        overshoot);
    sink.counter(
        prefix + "fail_open_passes",
        "Tokens passed without cover while " + backend + " failed (FAIL_OPEN).",
        failOpenPasses);
    sink.counter(
        prefix + "failures",
        "Prefetches that failed (error, timeout, refused) and were settled by the failure policy.",
        failures);
  }
}
