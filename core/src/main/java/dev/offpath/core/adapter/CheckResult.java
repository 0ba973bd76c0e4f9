package dev.offpath.core.adapter;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * A check adapter's answer: status, and how long / how many times the answer may be reused
 * ({@code validUseCount} negative = unlimited, 0 = not reusable).
 */
public record CheckResult(PolicyStatus status, Duration validDuration, int validUseCount) {

  public CheckResult {
    requireNonNull(status, "status");
    requireNonNull(validDuration, "validDuration");
    if (validDuration.isNegative()) {
      throw new IllegalArgumentException("validDuration: " + validDuration + " (expected: >= 0)");
    }
  }

  public static CheckResult ok(Duration validDuration, int validUseCount) {
    return new CheckResult(PolicyStatus.OK, validDuration, validUseCount);
  }

  public static CheckResult denied(
      StatusCode code, String message, Duration validDuration, int validUseCount) {
    return new CheckResult(PolicyStatus.of(code, message), validDuration, validUseCount);
  }
}
