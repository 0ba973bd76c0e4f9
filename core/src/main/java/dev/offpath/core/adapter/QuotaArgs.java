package dev.offpath.core.adapter;

import static java.util.Objects.requireNonNull;

/**
 * A quota request: how many units, whether fewer are acceptable ({@code bestEffort}), and an id that
 * makes retries of the same request idempotent.
 */
public record QuotaArgs(String deduplicationId, long amount, boolean bestEffort) {

  public QuotaArgs {
    requireNonNull(deduplicationId, "deduplicationId");
    if (amount <= 0) {
      throw new IllegalArgumentException("amount: " + amount + " (expected: > 0)");
    }
  }
}
