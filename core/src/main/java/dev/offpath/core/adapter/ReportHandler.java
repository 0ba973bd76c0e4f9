package dev.offpath.core.adapter;

import java.util.List;

/**
 * A handler for report templates ({@code metric}, {@code logentry}): Mixer's {@code HandleMetric} /
 * {@code HandleLogEntry}. The telemetry pipeline calls it from its worker threads with a batch of
 * instances, in the order their requests were received within one worker; instances of different
 * templates (a {@code stdio} handler takes both) may share a batch, so look at {@link
 * Instance#template()}.
 *
 * <p>Called concurrently by several workers; never from request threads, so brief blocking (a
 * buffered file write) is tolerated, but a slow handler holds back the whole pipeline and, through
 * it, the access-log streams (back-pressure). Implementations must not keep the list.
 */
public interface ReportHandler extends Handler {

  /** Records a batch of instances; never throws for instance data it cannot use. */
  void report(List<Instance> instances);

  /** Pushes buffered output (a log file's buffer) out; called after each batch and on shutdown. */
  default void flush() {}
}
