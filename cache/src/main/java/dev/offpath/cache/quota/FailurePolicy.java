package dev.offpath.cache.quota;

/** What a {@link QuotaPool} does with a prefetch the backend failed to answer. */
public enum FailurePolicy {
  /**
   * Treat the failure as a full grant of what was asked, valid for {@link
   * PrefetchOptions#failOpenValidity()}, and pass checks the pool cannot cover until the backend
   * answers again: traffic keeps flowing while the backend is down or hung.
   */
  FAIL_OPEN,
  /** Treat the failure as a grant of nothing: the pool denies once its granted tokens are spent. */
  FAIL_CLOSE
}
