package dev.offpath.core.trace;

/**
 * One span of work: attributes, an error, its end. Not thread-safe: one owner at a time (it may be
 * handed to the thread that completes the work). {@link #NOOP} ignores everything.
 */
public interface TraceSpan {

  /** A span that is not recorded. */
  TraceSpan NOOP =
      new TraceSpan() {
        @Override
        public TraceSpan attribute(String key, String value) {
          return this;
        }

        @Override
        public TraceSpan attribute(String key, long value) {
          return this;
        }

        @Override
        public TraceSpan error(String message) {
          return this;
        }

        @Override
        public Scope makeCurrent() {
          return Scope.NOOP;
        }

        @Override
        public boolean recording() {
          return false;
        }

        @Override
        public void end() {}
      };

  TraceSpan attribute(String key, String value);

  TraceSpan attribute(String key, long value);

  /** Marks the span failed with {@code message}. */
  TraceSpan error(String message);

  /**
   * Makes this span the current one on this thread, so that spans started under it are its children,
   * until the scope is closed (on the same thread).
   */
  Scope makeCurrent();

  /** Whether anything is recorded (false for {@link #NOOP} and unsampled spans). */
  boolean recording();

  /** Ends the span; later calls are ignored. */
  void end();

  /** The extent of {@link #makeCurrent()}. */
  interface Scope extends AutoCloseable {
    Scope NOOP = () -> {};

    @Override
    void close();
  }
}
