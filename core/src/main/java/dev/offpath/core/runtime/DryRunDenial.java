package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.PolicyStatus;

/**
 * A denial a dry-run rule would have made (README "Operating Offpath", dry-run): the rule, the
 * handler whose status won within that rule, and the status. The request was not denied for it.
 *
 * @param quota whether it came from the quota phase (a dry-run quota rule's shadow accounting)
 */
public record DryRunDenial(String rule, String handler, PolicyStatus status, boolean quota) {

  public DryRunDenial {
    requireNonNull(rule, "rule");
    requireNonNull(handler, "handler");
    requireNonNull(status, "status");
    if (status.isOk()) {
      throw new IllegalArgumentException("status: OK (expected: a denial)");
    }
  }
}
