package dev.offpath.cache.quota;

/** What a {@link QuotaPool} does with a prefetch the backend failed to answer. */
public enum FailurePolicy {
  /**
   * Treat the failure as a full grant of what was asked, valid for {@link
   * PrefetchOptions#failOpenValidity()}: traffic keeps flowing, at the predicted rate, while the
   * backend is down.
   */
  FAIL_OPEN,
  /** Treat the failure as a grant of nothing: the pool denies once its granted tokens are spent. */
  FAIL_CLOSE
}
