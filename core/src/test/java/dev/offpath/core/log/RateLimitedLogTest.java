package dev.offpath.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** One line per kind per interval; the rest counted and reported with the next line. */
class RateLimitedLogTest {

  private final FakeTicker ticker = new FakeTicker();
  private final RateLimitedLog log =
      new RateLimitedLog(LoggerFactory.getLogger(RateLimitedLogTest.class), ticker, Duration.ofSeconds(10));

  @Test
  void firstEventOfAKindLogsTheRestOfTheIntervalIsCounted() {
    assertThat(log.warn("bad-time", "bad request.time {}", 1)).isTrue();
    for (int i = 0; i < 1000; i++) {
      assertThat(log.warn("bad-time", "bad request.time {}", i)).isFalse();
    }
    assertThat(log.suppressed("bad-time")).isEqualTo(1000);
    // Another kind has its own interval.
    assertThat(log.warn("not-tls", "plaintext")).isTrue();

    ticker.advance(Duration.ofSeconds(9));
    assertThat(log.warn("bad-time", "x")).isFalse();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(log.warn("bad-time", "x")).isTrue();
    assertThat(log.suppressed("bad-time")).isZero();
  }

  @Test
  void errorsShareTheRuleAndAStackTraceIsPrintedOncePerInterval() {
    RuntimeException bug = new IllegalStateException("bug");
    assertThat(log.error("check-internal", "check failed for request id '{}'", "r1", bug)).isTrue();
    assertThat(log.error("check-internal", "check failed for request id '{}'", "r2", bug)).isFalse();
    assertThat(log.suppressed("check-internal")).isEqualTo(1);
  }

  @Test
  void kindsAreBounded() {
    for (int i = 0; i < RateLimitedLog.MAX_KINDS + 100; i++) {
      log.warn("kind-" + i, "x");
    }
    // Past the bound, new kinds share one slot: one line for all of them per interval.
    assertThat(log.suppressed("other")).isEqualTo(100 - 1);
  }
}
