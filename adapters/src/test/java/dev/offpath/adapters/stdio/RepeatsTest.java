package dev.offpath.adapters.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Repeated values are copied from this batch's bytes, never from an earlier batch's. */
class RepeatsTest {

  private static String text(LineBuffer b, int from) {
    return new String(Arrays.copyOfRange(b.array(), from, b.size()), StandardCharsets.UTF_8);
  }

  @Test
  void equalValuesAreCopiedWithinABatchAndEncodedAgainInTheNext() {
    LineBuffer out = new LineBuffer(4); // grows while written: offsets stay valid
    Repeats repeats = new Repeats(2);
    repeats.begin(1);
    repeats.string(out, 0, "a\"b");
    repeats.string(out, 1, "x");
    repeats.string(out, 0, new String("a\"b")); // equal, not the same object
    repeats.string(out, 1, "y");
    repeats.string(out, 1, "y");
    assertThat(text(out, 0)).isEqualTo("\"a\\\"b\"\"x\"\"a\\\"b\"\"y\"\"y\"");

    // Next batch: the buffer starts again and its old bytes are overwritten.
    out.reset();
    out.raw("#########".getBytes(StandardCharsets.US_ASCII));
    repeats.begin(2);
    repeats.string(out, 0, "a\"b"); // must not copy the old position (now '#'s)
    repeats.string(out, 0, "a\"b");
    assertThat(text(out, 9)).isEqualTo("\"a\\\"b\"\"a\\\"b\"");
    repeats.begin(2); // same batch again: remembered values stay
    repeats.string(out, 0, "a\"b");
    assertThat(text(out, 9)).isEqualTo("\"a\\\"b\"\"a\\\"b\"\"a\\\"b\"");
  }

  @Test
  void numbersAreWrittenAsLongToStringWrites() {
    LineBuffer out = new LineBuffer(1);
    long[] values = {0, 9, 10, -1, -9, -10, 99, 100, 123456789, Long.MAX_VALUE, Long.MIN_VALUE,
        Long.MIN_VALUE + 1, 1_000_000_000_000_000_000L, -1_000_000_000_000_000_000L};
    StringBuilder expected = new StringBuilder();
    for (long v : values) {
      out.number(v);
      out.raw((byte) ' ');
      expected.append(v).append(' ');
    }
    assertThat(text(out, 0)).isEqualTo(expected.toString());
  }
}
