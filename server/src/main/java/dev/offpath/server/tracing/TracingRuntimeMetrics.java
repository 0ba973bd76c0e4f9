package dev.offpath.server.tracing;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.runtime.RuntimeMetrics;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.util.concurrent.TimeUnit;

/**
 * Handler dispatch spans: each dispatch the runtime reports ({@code mixer_runtime_dispatch_count})
 * under a recording span (a sampled Check, a sampled report batch) becomes a child span {@code
 * offpath.dispatch} with {@code offpath.handler}, {@code offpath.adapter}, {@code
 * offpath.template}, timed by the runtime's own measurement (it ends now and lasted {@code nanos}).
 * Other dispatches cost one thread-local read. Counting is delegated unchanged. Thread-safe.
 */
public final class TracingRuntimeMetrics implements RuntimeMetrics {

  private final RuntimeMetrics delegate;
  private final OtelTracing tracing;

  public TracingRuntimeMetrics(RuntimeMetrics delegate, OtelTracing tracing) {
    this.delegate = requireNonNull(delegate, "delegate");
    this.tracing = requireNonNull(tracing, "tracing");
  }

  @Override
  public void dispatched(
      String adapter, String handler, String meshFunction, boolean error, long nanos) {
    delegate.dispatched(adapter, handler, meshFunction, error, nanos);
    if (!Span.current().isRecording()) {
      return;
    }
    long end = epochNanos();
    Span span =
        tracing
            .tracer()
            .spanBuilder("offpath.dispatch")
            .setStartTimestamp(end - nanos, TimeUnit.NANOSECONDS)
            .setAttribute("offpath.handler", handler)
            .setAttribute("offpath.adapter", adapter)
            .setAttribute("offpath.template", meshFunction)
            .startSpan();
    if (error) {
      span.setStatus(StatusCode.ERROR, "handler failed");
    }
    span.end(end, TimeUnit.NANOSECONDS);
  }

  private static long epochNanos() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  @Override
  public void matchError(String rule) {
    delegate.matchError(rule);
  }
}
