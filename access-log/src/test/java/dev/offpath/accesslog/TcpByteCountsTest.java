package dev.offpath.accesslog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/** Byte-count deltas per connection, bounded in entries and in time, every forgetting counted. */
class TcpByteCountsTest {

  private final FakeTicker ticker = new FakeTicker();
  private final LongAdder evicted = new LongAdder();
  private final LongAdder agedOut = new LongAdder();

  private TcpByteCounts counts(int max) {
    return new TcpByteCounts(max, Duration.ofMinutes(10).toNanos(), ticker, evicted, agedOut);
  }

  @Test
  void intermediateEntriesBecomeDeltasThatAddUpToTheTotal() {
    TcpByteCounts c = counts(10);
    assertThat(c.delta("c1", 100, 10, false)).containsExactly(100, 10);
    assertThat(c.delta("c1", 250, 40, false)).containsExactly(150, 30);
    assertThat(c.delta("c1", 400, 50, true)).containsExactly(150, 10);
    assertThat(c.size()).isZero();
  }

  @Test
  void aMillionConnectionsStayWithinTheCapAndStillCountDeltasNotTotalsAgain() {
    TcpByteCounts c = counts(1000);
    long sent = 0;
    for (int i = 0; i < 1_000_000; i++) {
      String conn = "conn-" + i;
      sent += c.delta(conn, 100, 1, false)[0];
      sent += c.delta(conn, 150, 2, false)[0];
    }
    assertThat(c.size()).isEqualTo(1000);
    // Each connection's totals are 150 bytes: counted once, never 100 + 150.
    assertThat(sent).isEqualTo(150L * 1_000_000);
    assertThat(evicted.sum()).isEqualTo(1_000_000 - 1000);
  }

  @Test
  void connectionsWhoseFinalEntryNeverCameAgeOut() {
    TcpByteCounts c = counts(1000);
    c.delta("dead", 100, 1, false);
    ticker.advance(Duration.ofMinutes(5));
    c.delta("alive", 10, 1, false);
    ticker.advance(Duration.ofMinutes(5));
    c.delta("alive", 20, 2, false);
    assertThat(c.size()).isEqualTo(1);
    assertThat(agedOut.sum()).isEqualTo(1);
    assertThat(c.delta("alive", 30, 3, true)).containsExactly(10, 1);
  }
}
