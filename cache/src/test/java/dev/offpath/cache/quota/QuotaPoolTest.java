package dev.offpath.cache.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The pool's rules one at a time, on a fake clock with answers delivered by the test. */
class QuotaPoolTest {

  private final FakeTicker ticker = new FakeTicker();

  @Test
  void backendGrantingNothingLetsOnlyTheOptimisticFirstRequestPass() {
    SimulatedBackends loop = new SimulatedBackends(ticker, Duration.ZERO);
    QuotaPool pool =
        new QuotaPool(
            loop.backend((amount, now) -> QuotaResult.granted(0, Duration.ofSeconds(1))),
            ticker,
            PrefetchOptions.defaults());

    int passed = 0;
    for (int i = 0; i < 10; i++) {
      if (pool.check(1)) {
        passed++;
      }
      loop.deliverDue();
      ticker.advanceMillis(10);
    }

    assertThat(passed).isEqualTo(1);
    assertThat(pool.stats().overshoot()).isEqualTo(1);
    assertThat(pool.stats().optimisticGrants()).isEqualTo(1);
    assertThat(pool.closeMode()).isTrue();
  }

  @Test
  void amountAboveOneIsAllOrNothing() {
    SimulatedBackends loop = new SimulatedBackends(ticker, Duration.ZERO);
    QuotaPool pool =
        new QuotaPool(
            loop.backend(SimulatedBackends.rollingWindow(5, Duration.ofSeconds(1))),
            ticker,
            PrefetchOptions.defaults());

    assertThat(pool.check(1)).isTrue();
    loop.deliverDue();
    ticker.advanceMillis(1);
    assertThat(pool.check(5)).isFalse();
    loop.deliverDue();
    ticker.advanceMillis(1);
    assertThat(pool.check(4)).isTrue();
    assertThat(pool.available()).isZero();
  }

  @Test
  void closeModeWaitsBetweenPrefetches() {
    SimulatedBackends loop = new SimulatedBackends(ticker, Duration.ZERO);
    QuotaPool pool =
        new QuotaPool(
            loop.backend((amount, now) -> QuotaResult.granted(2, Duration.ofMinutes(1))),
            ticker,
            PrefetchOptions.defaults());

    pool.check(1);
    loop.deliverDue();
    assertThat(pool.closeMode()).isTrue();
    for (int ms = 0; ms < 499; ms += 10) {
      pool.check(1);
      loop.deliverDue();
      ticker.advanceMillis(10);
    }
    assertThat(loop.calls()).isEqualTo(1);
    ticker.advanceMillis(10);
    pool.check(1);
    assertThat(loop.calls()).isEqualTo(2);
  }

  @Test
  void fullGrantReturnsToOpenMode() {
    SimulatedBackends loop = new SimulatedBackends(ticker, Duration.ZERO);
    long[] grant = {3};
    QuotaPool pool =
        new QuotaPool(
            loop.backend(
                (amount, now) ->
                    QuotaResult.granted(Math.min(amount, grant[0]), Duration.ofMinutes(1))),
            ticker,
            PrefetchOptions.defaults());

    pool.check(1);
    loop.deliverDue();
    assertThat(pool.closeMode()).isTrue();
    grant[0] = Long.MAX_VALUE;
    ticker.advanceMillis(500);
    pool.check(1);
    loop.deliverDue();
    assertThat(pool.closeMode()).isFalse();
  }

  @Test
  void prefetchesWhenBelowHalfOfDesiredWithNothingInFlight() {
    SimulatedBackends loop = new SimulatedBackends(ticker, Duration.ofMillis(100));
    List<Long> asked = new ArrayList<>();
    QuotaPool pool =
        new QuotaPool(
            loop.backend(
                (amount, now) -> {
                  asked.add(amount);
                  return QuotaResult.granted(amount, Duration.ofMinutes(1));
                }),
            ticker,
            PrefetchOptions.defaults());

    // 10 arrive optimistically; at available 4 (< 10 / 2) the next check prefetches 10 more.
    for (int i = 0; i < 7; i++) {
      assertThat(pool.check(1)).isTrue();
      ticker.advanceMillis(200);
      loop.deliverDue();
    }
    assertThat(asked).containsExactly(10L, 10L);
    assertThat(pool.stats().optimisticGrants()).isEqualTo(1);
    assertThat(pool.available()).isEqualTo(13);
  }

  @Test
  void grantedTokensExpireWithTheBackendsValidity() {
    SimulatedBackends loop = new SimulatedBackends(ticker, Duration.ZERO);
    QuotaPool pool =
        new QuotaPool(
            loop.backend((amount, now) -> QuotaResult.granted(amount, Duration.ofMillis(300))),
            ticker,
            PrefetchOptions.defaults());

    pool.check(1);
    loop.deliverDue();
    assertThat(pool.available()).isEqualTo(9);
    ticker.advanceMillis(300);
    assertThat(pool.available()).isZero();
  }

  @Test
  void unansweredOptimisticTokensExpire() {
    QuotaPool pool =
        new QuotaPool(amount -> new CompletableFuture<>(), ticker, PrefetchOptions.defaults());

    pool.check(1);
    assertThat(pool.available()).isEqualTo(9);
    ticker.advance(PrefetchOptions.defaults().provisionalValidity());
    assertThat(pool.available()).isZero();
  }

  @Test
  void failOpenKeepsTrafficFlowingWithBoundedGrants() {
    SimulatedBackends loop = new SimulatedBackends(ticker, Duration.ofMillis(200));
    QuotaPool pool = new QuotaPool(loop.failing(), ticker, PrefetchOptions.defaults());

    int checks = 0;
    int passed = 0;
    for (int i = 0; i < 200; i++) { // 10 s at 20 per second
      checks++;
      if (pool.check(1)) {
        passed++;
      }
      loop.deliverDue();
      ticker.advanceMillis(50);
    }

    assertThat(passed).isEqualTo(checks);
    assertThat(pool.stats().failures()).isPositive();
    assertThat(pool.closeMode()).isFalse();
    ticker.advance(PrefetchOptions.defaults().failOpenValidity());
    assertThat(pool.available()).as("fail-open grants expire").isZero();
  }

  @Test
  void failCloseDeniesOnceTheOptimisticTokensAreTakenBack() {
    SimulatedBackends loop = new SimulatedBackends(ticker, Duration.ofMillis(200));
    QuotaPool pool =
        new QuotaPool(
            loop.failing(),
            ticker,
            PrefetchOptions.defaults().withFailurePolicy(FailurePolicy.FAIL_CLOSE));

    List<Boolean> results = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      results.add(pool.check(1));
      loop.deliverDue();
      ticker.advanceMillis(50);
    }

    // Checks at 0..200 ms pass on the optimistic 10; the failure at 200 ms takes back the other 5.
    assertThat(results.subList(0, 5)).containsOnly(true);
    assertThat(results.subList(5, 200)).containsOnly(false);
    assertThat(pool.stats().overshoot()).isEqualTo(5);
    assertThat(pool.closeMode()).isTrue();
  }

  @Test
  void unhealthyBackendGetsNoOptimisticGrant() {
    QuotaBackend failing = amount -> CompletableFuture.failedFuture(new IllegalStateException("down"));
    QuotaBackend unhealthy =
        new QuotaBackend() {
          @Override
          public CompletableFuture<QuotaResult> allocate(long amount) {
            return failing.allocate(amount);
          }

          @Override
          public boolean healthy() {
            return false;
          }
        };
    QuotaPool closed =
        new QuotaPool(
            unhealthy, ticker, PrefetchOptions.defaults().withFailurePolicy(FailurePolicy.FAIL_CLOSE));
    assertThat(closed.check(1)).isFalse();
    assertThat(closed.stats().optimisticGrants()).isZero();
    assertThat(closed.stats().failures()).isEqualTo(1);

    QuotaPool open = new QuotaPool(unhealthy, ticker, PrefetchOptions.defaults());
    assertThat(open.check(1)).as("the failure is settled by FAIL_OPEN, not by optimism").isTrue();
    assertThat(open.stats().optimisticGrants()).isZero();
  }

  @Test
  void errorStatusAndThrowingBackendAreFailures() {
    QuotaPool unavailable =
        new QuotaPool(
            amount ->
                CompletableFuture.completedFuture(
                    new QuotaResult(
                        PolicyStatus.of(StatusCode.UNAVAILABLE, "down"), 0, Duration.ZERO)),
            ticker,
            PrefetchOptions.defaults());
    QuotaPool throwing =
        new QuotaPool(
            amount -> {
              throw new IllegalStateException("down");
            },
            ticker,
            PrefetchOptions.defaults());

    for (QuotaPool pool : List.of(unavailable, throwing)) {
      for (int i = 0; i < 30; i++) {
        assertThat(pool.check(1)).isTrue();
        ticker.advanceMillis(50);
      }
      assertThat(pool.stats().failures()).isPositive();
      assertThat(pool.stats().overshoot()).isZero();
    }
  }

  @Test
  void exhaustedStatusIsAnAnswerNotAFailure() {
    QuotaPool pool =
        new QuotaPool(
            amount ->
                CompletableFuture.completedFuture(
                    new QuotaResult(
                        PolicyStatus.of(StatusCode.RESOURCE_EXHAUSTED, "over"), 0, Duration.ZERO)),
            ticker,
            PrefetchOptions.defaults());

    assertThat(pool.check(1)).isTrue();
    ticker.advanceMillis(1);
    assertThat(pool.check(1)).isFalse();
    assertThat(pool.stats().failures()).isZero();
  }

  @Test
  void hungBackendTimesOutIntoFailOpen() {
    List<CompletableFuture<QuotaResult>> hung = new ArrayList<>();
    QuotaPool pool =
        new QuotaPool(
            amount -> {
              CompletableFuture<QuotaResult> f = new CompletableFuture<>();
              hung.add(f);
              return f;
            },
            ticker,
            PrefetchOptions.defaults().withResponseTimeout(Duration.ofSeconds(1)));

    int passedAfterTimeout = 0;
    int checksAfterTimeout = 0;
    for (int ms = 0; ms < 10_000; ms += 50) {
      boolean passed = pool.check(1);
      if (ms >= 1000) {
        checksAfterTimeout++;
        passedAfterTimeout += passed ? 1 : 0;
      }
      ticker.advanceMillis(50);
    }

    assertThat(passedAfterTimeout).isEqualTo(checksAfterTimeout);
    assertThat(pool.stats().timeouts()).isPositive();
    assertThat(pool.failingOpen()).isTrue();
    // 11 calls before the first timeout (the optimistic one, then one per empty check from 500 ms),
    // then one at a time: a new call only after the last one timed out, 1 s later.
    assertThat(hung).hasSizeLessThanOrEqualTo(11 + 9);
    QuotaPoolStats before = pool.stats();
    CompletableFuture<QuotaResult> pending = hung.removeLast();
    hung.forEach(f -> f.complete(QuotaResult.granted(0, Duration.ofMinutes(1))));
    assertThat(pool.stats())
        .as("late answers to timed-out prefetches are ignored")
        .isEqualTo(before);
    assertThat(pool.failingOpen()).isTrue();

    pending.complete(QuotaResult.granted(0, Duration.ofMinutes(1)));
    assertThat(pool.failingOpen()).isFalse();
    assertThat(pool.closeMode()).isTrue();
    assertThat(pool.check(1)).isFalse();
  }

  /**
   * A backend that answered, then stopped answering while still looking healthy: Redis killed a
   * moment ago, before its client has seen the connection close (the window in which
   * RedisQuotaEndToEndTest's FAIL_OPEN check was once denied). The first call is answered in full;
   * later ones stay pending until the test completes them.
   */
  private static final class DyingBackend implements QuotaBackend {
    final List<CompletableFuture<QuotaResult>> pending = new ArrayList<>();
    final List<Long> asked = new ArrayList<>();

    @Override
    public CompletableFuture<QuotaResult> allocate(long amount) {
      asked.add(amount);
      if (asked.size() == 1) {
        return CompletableFuture.completedFuture(QuotaResult.granted(amount, Duration.ofMinutes(1)));
      }
      CompletableFuture<QuotaResult> f = new CompletableFuture<>();
      pending.add(f);
      return f;
    }
  }

  @Test
  void failOpenNeverDeniesForWantOfAnAnswer() {
    DyingBackend backend = new DyingBackend();
    QuotaPool pool = new QuotaPool(backend, ticker, PrefetchOptions.defaults());

    // No time passes: every check lands while the prefetches to the dead backend are unanswered.
    for (int i = 0; i < 200; i++) {
      assertThat(pool.check(1)).as("FAIL_OPEN check %s, backend not answering", i).isTrue();
    }
    // Every token passed beyond the first grant was asked of the backend optimistically.
    assertThat(pool.stats().optimisticGrants()).isGreaterThan(1);
    long asked = backend.asked.stream().mapToLong(Long::longValue).sum();
    assertThat(asked).isGreaterThanOrEqualTo(200);
    // The failures arrive (the client saw the connection close): FAIL_OPEN settles each.
    backend.pending.forEach(f -> f.completeExceptionally(new IllegalStateException("down")));
    QuotaPoolStats s = pool.stats();
    assertThat(pool.failingOpen()).isTrue();
    assertThat(s.failures()).isEqualTo(backend.pending.size());
    assertThat(s.passes()).isEqualTo(200);
    assertThat(s.overshoot()).isZero();
    assertThat(s.passes() + pool.available())
        .isEqualTo(s.grantedTokens() + s.overshoot() + s.failOpenPasses());
  }

  @Test
  void failOpenOptimismIsAskedOfTheBackendAndOnlyRefusalsAreOvershoot() {
    DyingBackend slow = new DyingBackend();
    QuotaPool pool = new QuotaPool(slow, ticker, PrefetchOptions.defaults());
    for (int i = 0; i < 100; i++) {
      assertThat(pool.check(1)).isTrue();
    }
    // The backend was slow, not dead: it grants all but 7 of what was asked.
    long refused = 7;
    for (int i = 0; i < slow.pending.size(); i++) {
      long amount = slow.asked.get(i + 1);
      long granted = i == 0 ? amount - refused : amount;
      slow.pending.get(i).complete(QuotaResult.granted(granted, Duration.ofMinutes(1)));
    }
    QuotaPoolStats s = pool.stats();
    assertThat(s.failures()).isZero();
    assertThat(s.passes() + pool.available()).isEqualTo(s.grantedTokens() + s.overshoot());
    // Optimistic tokens not yet spent are taken back first: nothing here was spent beyond grants.
    assertThat(s.overshoot()).isLessThanOrEqualTo(refused);
    assertThat(s.grantedTokens()).isGreaterThanOrEqualTo(s.passes() - refused);
  }

  @Test
  void failCloseDeniesWhileItsOneOptimisticPrefetchIsUnanswered() {
    DyingBackend backend = new DyingBackend();
    QuotaPool pool =
        new QuotaPool(
            backend, ticker, PrefetchOptions.defaults().withFailurePolicy(FailurePolicy.FAIL_CLOSE));
    int passed = 0;
    for (int i = 0; i < 200; i++) {
      passed += pool.check(1) ? 1 : 0;
    }
    // 10 granted, then one optimistic prefetch of 10 at most in flight: the rest is denied.
    assertThat(pool.stats().optimisticGrants()).isEqualTo(2);
    assertThat(passed).isLessThan(200);
    backend.pending.forEach(f -> f.completeExceptionally(new IllegalStateException("down")));
    assertThat(pool.check(1)).isFalse();
  }

  @Test
  void failCloseSendsNoCallPerCheckWhileAnAnswerOnItsWayCoversIt() {
    DyingBackend backend = new DyingBackend();
    QuotaPool pool =
        new QuotaPool(
            backend, ticker, PrefetchOptions.defaults().withFailurePolicy(FailurePolicy.FAIL_CLOSE));
    for (int i = 0; i < 1_000; i++) {
      pool.check(1);
    }
    // The first (answered) call, the optimistic one, and one more once the optimistic tokens are
    // spent; mixerclient sent a call for each of the ~970 checks that found the pool empty.
    assertThat(backend.asked).hasSize(3);
    assertThat(pool.inFlight()).isEqualTo(2);
    long unconfirmed = backend.asked.get(2);
    backend.pending.forEach(f -> f.complete(QuotaResult.granted(10_000, Duration.ofMinutes(1))));
    assertThat(pool.available()).as("both answers land in the pool").isPositive();
    assertThat(pool.stats().grantedTokens())
        .isEqualTo(backend.asked.get(0) + backend.asked.get(1) + unconfirmed);
  }

  @Test
  void rejectsNonPositiveAmount() {
    QuotaPool pool =
        new QuotaPool(amount -> new CompletableFuture<>(), ticker, PrefetchOptions.defaults());
    assertThatThrownBy(() -> pool.check(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("amount: 0 (expected: > 0)");
  }
}
