package dev.offpath.benchmarks.load;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** The JSON access-log lines a server wrote to its stdout, counted round by round. */
interface LineCounter extends AutoCloseable {

  /** Lines counted since the last {@link #endRound}, as of now. */
  long lines() throws IOException;

  /** Ends a round: returns its lines; later counts start after them. */
  long endRound() throws IOException;

  /**
   * Waits (up to 30 s without progress) until {@code expected} more lines have come than the last
   * round counted, then a moment more for strays; ends the round and returns how many came.
   */
  default long awaitLines(long expected) throws IOException, InterruptedException {
    long counted = 0;
    long lastChange = System.nanoTime();
    while (true) {
      long now = lines();
      if (now != counted) {
        counted = now;
        lastChange = System.nanoTime();
      }
      if (counted >= expected || System.nanoTime() - lastChange > TimeUnit.SECONDS.toNanos(30)) {
        break;
      }
      Thread.sleep(50);
    }
    Thread.sleep(200);
    return endRound();
  }

  @Override
  void close() throws IOException;
}
