package dev.offpath.extproc;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the ext_proc front door, read at scrape time: stream errors by {@link StreamError} and
 * request bags offered to the report sink (accepted or not; the sink counts why it refused). Writers
 * never wait. Thread-safe.
 */
public final class ExtProcStats {

  private static final StreamError[] ERRORS = StreamError.values();

  private final LongAdder[] errors = new LongAdder[ERRORS.length];
  private final LongAdder reportsAccepted = new LongAdder();
  private final LongAdder reportsRefused = new LongAdder();

  ExtProcStats() {
    for (int i = 0; i < errors.length; i++) {
      errors[i] = new LongAdder();
    }
  }

  void error(StreamError error) {
    errors[error.ordinal()].increment();
  }

  void reported(boolean accepted) {
    (accepted ? reportsAccepted : reportsRefused).increment();
  }

  /** Streams that ended with {@code error} so far. */
  public long errors(StreamError error) {
    return errors[error.ordinal()].sum();
  }

  /** Request bags the report sink accepted. */
  public long reportsAccepted() {
    return reportsAccepted.sum();
  }

  /** Request bags the report sink refused (full, shutting down, or no telemetry configured). */
  public long reportsRefused() {
    return reportsRefused.sum();
  }
}
