package dev.offpath.adapters.stdio;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The string values one worker last encoded for each field of one line layout, and where their
 * JSON bytes are in the worker's batch buffer, so that a value equal to the previous line's (the
 * stream's workload, namespace and labels, a {@code | ""} default, the same user agent) is copied
 * from those bytes instead of being scanned and escaped again. Istio's access log has about 35
 * string variables per line, and in a batch from one stream most of them repeat line after line.
 *
 * <p>Why positions in the buffer rather than copies: remembering a value costs no allocation, also
 * for the values that never repeat (paths, request ids). Invariant: a position is only used within
 * the batch it was recorded in ({@link #begin} forgets older ones), while the batch's bytes are
 * only appended to, never rewritten; the buffer may grow (the bytes move with their offsets).
 * Equality is {@link String#equals}, so the bytes are exactly those {@link LineBuffer#string}
 * would write.
 *
 * <p>Not thread-safe: one per worker thread and layout.
 */
final class Repeats {

  private final @Nullable String[] last;
  private final int[] at;
  private final int[] length;
  private long batch = -1;

  Repeats(int fields) {
    this.last = new String[fields];
    this.at = new int[fields];
    this.length = new int[fields];
  }

  /** Starts batch number {@code batch}: values recorded in an earlier batch are forgotten. */
  void begin(long batch) {
    if (this.batch != batch) {
      Arrays.fill(last, null);
      this.batch = batch;
    }
  }

  /** Writes {@code s} as a JSON string for field {@code field} of the layout. */
  void string(LineBuffer out, int field, String s) {
    String previous = last[field];
    if (previous != null && (previous == s || previous.equals(s))) {
      out.repeat(at[field], length[field]);
      return;
    }
    int start = out.size();
    out.string(s);
    last[field] = s;
    at[field] = start;
    length[field] = out.size() - start;
  }
}
