package dev.offpath.core.trace;

/**
 * Opens spans for work worth tracing (a report batch, a Redis prefetch) and reaches the span the
 * current thread works under (a Check's, to note a cache hit). The server implements it with
 * OpenTelemetry when tracing is on; otherwise {@link #NOOP} is used, whose spans are one shared
 * object that does nothing, so tracing off costs a call on a constant.
 *
 * <p>Thread-safe. A span started here is a child of the span current on the calling thread, if
 * any, else a new trace (subject to the sampling rate).
 */
public interface Tracer {

  /** Tracing off. */
  Tracer NOOP =
      new Tracer() {
        @Override
        public TraceSpan start(String name) {
          return TraceSpan.NOOP;
        }

        @Override
        public TraceSpan current() {
          return TraceSpan.NOOP;
        }
      };

  /**
   * Starts a span named {@code name}; {@link TraceSpan#NOOP} when it is not sampled. End it with
   * {@link TraceSpan#end()}, on any thread.
   */
  TraceSpan start(String name);

  /** The span current on this thread, or {@link TraceSpan#NOOP}; never ended by the caller. */
  TraceSpan current();
}
