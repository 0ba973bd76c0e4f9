package dev.offpath.core.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.adapter.CircuitBreaker.State;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

  private final FakeTicker ticker = new FakeTicker();
  private final CircuitBreaker breaker = new CircuitBreaker(ticker, 3, Duration.ofSeconds(1));

  private void fail(int times) {
    for (int i = 0; i < times; i++) {
      assertThat(breaker.tryAcquire()).isTrue();
      breaker.onFailure();
    }
  }

  @Test
  void opensAfterConsecutiveFailuresOnly() {
    fail(2);
    assertThat(breaker.tryAcquire()).isTrue();
    breaker.onSuccess();
    fail(2);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    fail(1);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(breaker.tryAcquire()).isFalse();
    assertThat(breaker.openedCount()).isEqualTo(1);
  }

  @Test
  void oneProbeAfterTheOpenDurationClosesOnSuccess() {
    fail(3);
    ticker.advance(Duration.ofMillis(999));
    assertThat(breaker.tryAcquire()).isFalse();
    ticker.advance(Duration.ofMillis(1));
    assertThat(breaker.tryAcquire()).isTrue();
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    assertThat(breaker.tryAcquire()).as("only one probe at a time").isFalse();
    breaker.onSuccess();
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.tryAcquire()).isTrue();
  }

  @Test
  void failedProbeOpensAgainForAnotherPeriod() {
    fail(3);
    ticker.advance(Duration.ofSeconds(1));
    assertThat(breaker.tryAcquire()).isTrue();
    breaker.onFailure();
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(breaker.openedCount()).isEqualTo(2);
    ticker.advance(Duration.ofMillis(500));
    assertThat(breaker.tryAcquire()).isFalse();
    ticker.advance(Duration.ofMillis(500));
    assertThat(breaker.tryAcquire()).isTrue();
  }

  @Test
  void probeNowLetsTheProbeGoBeforeTheOpenDurationEnds() {
    breaker.probeNow();
    assertThat(breaker.state()).as("a closed breaker is left alone").isEqualTo(State.CLOSED);
    fail(3);
    assertThat(breaker.tryAcquire()).isFalse();
    breaker.probeNow();
    assertThat(breaker.tryAcquire()).isTrue();
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    breaker.probeNow();
    assertThat(breaker.tryAcquire()).as("a half-open breaker keeps its one probe").isFalse();
    breaker.onSuccess();
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void successAfterFailuresWhileClosedResetsTheCount() {
    fail(2);
    breaker.onSuccess();
    fail(2);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    fail(1);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void concurrentFailuresOpenItExactlyOnce() throws InterruptedException {
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] =
          new Thread(
              () -> {
                for (int i = 0; i < 1_000; i++) {
                  if (breaker.tryAcquire()) {
                    breaker.onFailure();
                  }
                }
              });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(breaker.openedCount()).isEqualTo(1);
  }
}
