package dev.offpath.cache.quota;

import dev.offpath.core.adapter.QuotaResult;
import java.util.concurrent.CompletableFuture;

/**
 * Where one {@link QuotaPool} allocates its tokens (a quota adapter behind a signature). {@link
 * #allocate} must not block; the pool never waits on the future. A result's {@code granted} may be
 * anything from 0 to {@code amount} and is capped at {@code amount}; its {@code validDuration} is
 * how long the granted tokens may be spent. Status OK and RESOURCE_EXHAUSTED are answers; any other
 * status, a failed future, an exception thrown by {@code allocate} and a future that does not
 * complete within {@link PrefetchOptions#responseTimeout()} are failures, handled by the pool's
 * {@link FailurePolicy}.
 */
@FunctionalInterface
public interface QuotaBackend {

  CompletableFuture<QuotaResult> allocate(long amount);

  /**
   * Whether an allocation could succeed now; {@code false} when it is known to fail (not
   * connected, circuit breaker open), so the pool grants nothing optimistically. Cheap, never
   * blocks.
   */
  default boolean healthy() {
    return true;
  }
}
