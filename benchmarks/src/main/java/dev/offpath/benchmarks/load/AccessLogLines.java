package dev.offpath.benchmarks.load;

import java.nio.charset.StandardCharsets;

/**
 * Counts, in a byte stream fed piece by piece, the complete lines that start as the stdio
 * handler's JSON access-log lines do ({@code {"level":"}); Offpath's own log lines on the same
 * stream do not. Not thread-safe.
 */
final class AccessLogLines {

  private static final byte[] LINE_START = "{\"level\":\"".getBytes(StandardCharsets.US_ASCII);

  private long lines;
  private long position;
  private long lineEnd;
  private int matched; // bytes of LINE_START matched at the start of the current line; -1: none

  /** Counts from byte {@code position} of the stream, a line start. */
  AccessLogLines(long position) {
    this.position = position;
    this.lineEnd = position;
  }

  void feed(byte[] buf, int off, int len) {
    for (int i = off; i < off + len; i++) {
      byte b = buf[i];
      position++;
      if (b == '\n') {
        if (matched == LINE_START.length) {
          lines++;
        }
        matched = 0;
        lineEnd = position;
      } else if (matched >= 0 && matched < LINE_START.length) {
        matched = b == LINE_START[matched] ? matched + 1 : -1;
      }
    }
  }

  /** Access-log lines completed so far. */
  long lines() {
    return lines;
  }

  /** The stream position just after the last complete line. */
  long lineEnd() {
    return lineEnd;
  }
}
