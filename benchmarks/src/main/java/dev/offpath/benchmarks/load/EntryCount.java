package dev.offpath.benchmarks.load;

import java.io.IOException;

/**
 * Where an ingest phase counts the entries that arrived: {@code istio_requests_total} on the
 * telemetry port ({@link MeshMetrics}), or an out-of-process metric adapter's instances ({@link
 * LoadAdapter}). Must never count an entry twice.
 */
@FunctionalInterface
interface EntryCount {

  /** The entries counted so far (a running total). */
  double entries() throws IOException, InterruptedException;
}
