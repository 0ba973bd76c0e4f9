package dev.offpath.adapters.denier;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.PolicyStatus;
import java.time.Duration;

/**
 * Parsed {@code denier} params: the status every check is answered with, and how long and how many
 * times a caller may reuse that answer.
 */
public record DenierConfig(PolicyStatus status, Duration validDuration, int validUseCount) {

  public DenierConfig {
    requireNonNull(status, "status");
    requireNonNull(validDuration, "validDuration");
  }
}
