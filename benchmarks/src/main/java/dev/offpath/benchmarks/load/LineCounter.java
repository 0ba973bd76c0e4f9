package dev.offpath.benchmarks.load;

import java.io.IOException;

/** The JSON access-log lines a server wrote to its stdout, counted round by round. */
interface LineCounter extends AutoCloseable {

  /**
   * Waits (up to 30 s without progress) until {@code expected} more lines have come than the last
   * call counted, then a moment more for strays; returns how many came.
   */
  long awaitLines(long expected) throws IOException, InterruptedException;

  @Override
  void close() throws IOException;
}
