package dev.offpath.core.adapter;

import java.util.concurrent.CompletableFuture;

/**
 * A handler for check templates that answers over the network (an out-of-process adapter). The
 * runtime never waits on the future: a decision that needs one completes when every future it
 * started has completed (README "Out-of-process adapters").
 *
 * <p>The future must complete, normally, within the handler's own deadline: failures (timeout,
 * transport error, circuit open) are the handler's to turn into a {@link CheckResult} according to
 * its failure policy. A future completed exceptionally is treated as a handler failure (INTERNAL,
 * or ignored when the server fails open), like an exception from {@link CheckHandler#check}.
 */
public interface AsyncCheckHandler extends Handler {

  /** Starts deciding on one instance. Must not block; thread-safe. */
  CompletableFuture<CheckResult> checkAsync(Instance instance);

  /**
   * Whether {@code answer}, from this handler's {@link #checkAsync}, is its failure policy's answer
   * to a call that failed (timeout, no connection, error, circuit open, overload) rather than a
   * decision: the runtime then counts the dispatch as failed ({@code
   * mixer_runtime_dispatch_count{error="true"}}), as for a built-in handler that threw or timed out.
   */
  default boolean failed(CheckResult answer) {
    return false;
  }
}
