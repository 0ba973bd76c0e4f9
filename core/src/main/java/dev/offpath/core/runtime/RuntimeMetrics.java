package dev.offpath.core.runtime;

/**
 * Where the runtime reports what it did, for Mixer's self-monitoring metrics. The server implements it
 * with Prometheus; core stays free of any metrics library. Called on request threads: must be cheap
 * and thread-safe.
 */
public interface RuntimeMetrics {

  /**
   * One dispatch of instances to a handler ({@code mixer_runtime_dispatch_count{adapter, handler,
   * meshFunction, error}} and {@code mixer_runtime_dispatch_duration_seconds}).
   *
   * @param meshFunction the template name ({@code listentry}, {@code quota}, …)
   * @param error whether the handler failed (threw or timed out), not whether it denied
   */
  void dispatched(String adapter, String handler, String meshFunction, boolean error, long nanos);

  /** A rule's match expression failed to evaluate ({@code mixer_config_rule_config_match_error_count}). */
  void matchError(String rule);

  RuntimeMetrics NOOP =
      new RuntimeMetrics() {
        @Override
        public void dispatched(
            String adapter, String handler, String meshFunction, boolean error, long nanos) {}

        @Override
        public void matchError(String rule) {}
      };
}
