package dev.offpath.core.adapter;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** A quota adapter's answer: units granted and for how long the grant holds. */
public record QuotaResult(PolicyStatus status, long granted, Duration validDuration) {

  public QuotaResult {
    requireNonNull(status, "status");
    requireNonNull(validDuration, "validDuration");
    if (granted < 0) {
      throw new IllegalArgumentException("granted: " + granted + " (expected: >= 0)");
    }
  }

  public static QuotaResult granted(long amount, Duration validDuration) {
    return new QuotaResult(PolicyStatus.OK, amount, validDuration);
  }
}
