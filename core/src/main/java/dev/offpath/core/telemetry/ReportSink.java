package dev.offpath.core.telemetry;

import dev.offpath.core.attribute.Attributes;

/**
 * Where a front door hands one finished request's attributes for telemetry (Mixer's Report): the
 * access-log service for each log entry, ext_proc at the end of a request. The sink evaluates the
 * live config's report rules ({@code metric}, {@code logentry} instances) off the caller's thread.
 *
 * <p>{@link #offer} never blocks and never throws for request data. It returns {@code false} when
 * the bag was not accepted (queue full, shutting down); the sink counts every such drop by reason on
 * {@code /metrics}, so a caller that cannot wait (ext_proc) just moves on. A caller that can apply
 * back-pressure (a gRPC stream) uses the sink's own flow-control API instead of dropping.
 *
 * <p>Once {@code offer} returned {@code true}, the bag is counted exactly once, including across a
 * graceful shutdown. Thread-safe.
 */
public interface ReportSink {

  /** A sink that accepts nothing; for front doors started without telemetry. */
  ReportSink DISCARD = attributes -> false;

  /** Offers one request's attributes; never blocks. */
  boolean offer(Attributes attributes);
}
