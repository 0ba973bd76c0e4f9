package dev.offpath.cache.quota;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Several threads check one pool while another thread answers the backend's allocations. The
 * backend holds a fixed budget (it never refills); every check moves the shared fake clock by 1 ms,
 * so usage over the 1 s predict window, and with it any one prefetch, stays near 1000 tokens.
 */
class QuotaPoolConcurrencyTest {

  private static final int THREADS = 8;
  private static final int CHECKS_PER_THREAD = 5000;
  private static final int MAX_CHECKS_PER_THREAD = 100 * CHECKS_PER_THREAD;
  private static final long BUDGET = 5000;

  /**
   * One prefetch at most: checks within 1 s plus one 50 ms slot, plus one in-flight check a thread.
   */
  private static final long MAX_PREFETCH = 1050 + THREADS;

  private record Answer(CompletableFuture<QuotaResult> future, QuotaResult result) {}

  @Test
  void passesNoMoreThanTheBudgetPlusOneOptimisticPrefetch() throws Exception {
    FakeTicker ticker = new FakeTicker();
    LinkedBlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
    AtomicLong left = new AtomicLong(BUDGET);
    Object decisions = new Object();
    QuotaBackend backend =
        amount -> {
          CompletableFuture<QuotaResult> f = new CompletableFuture<>();
          synchronized (decisions) { // answers are delivered in the order they were decided
            long granted = Math.min(amount, left.get());
            left.addAndGet(-granted);
            answers.add(new Answer(f, QuotaResult.granted(granted, Duration.ofHours(1))));
          }
          return f;
        };
    PrefetchOptions options =
        new PrefetchOptions(
            Duration.ofSeconds(1),
            10,
            Duration.ofMillis(500),
            Duration.ofHours(1),
            Duration.ofHours(1),
            FailurePolicy.FAIL_CLOSE,
            Duration.ofSeconds(1));
    QuotaPool pool = new QuotaPool(backend, ticker, options);
    CompletableFuture<QuotaResult> stop = new CompletableFuture<>();

    Thread responder =
        Thread.ofPlatform()
            .name("quota-backend")
            .start(
                () -> {
                  try {
                    for (Answer a = answers.take(); a.future() != stop; a = answers.take()) {
                      a.future().complete(a.result());
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    ExecutorService workers = Executors.newFixedThreadPool(THREADS);
    CountDownLatch start = new CountDownLatch(1);
    AtomicLong checks = new AtomicLong();
    List<Future<Long>> results = new ArrayList<>();
    try {
      for (int t = 0; t < THREADS; t++) {
        results.add(
            workers.submit(
                () -> {
                  start.await();
                  long passed = 0;
                  // Past CHECKS_PER_THREAD, go on until the backend has handed out its whole
                  // budget: when the responder thread is starved on a loaded machine, fewer
                  // prefetches are answered during the first checks.
                  for (int i = 0;
                      i < CHECKS_PER_THREAD || (left.get() > 0 && i < MAX_CHECKS_PER_THREAD);
                      i++) {
                    ticker.advanceMillis(1);
                    checks.incrementAndGet();
                    if (pool.check(1)) {
                      passed++;
                    }
                  }
                  return passed;
                }));
      }
      start.countDown();
      long passed = 0;
      for (Future<Long> r : results) {
        passed += r.get(30, TimeUnit.SECONDS);
      }
      answers.add(new Answer(stop, QuotaResult.granted(0, Duration.ZERO)));
      responder.join(Duration.ofSeconds(30));
      assertThat(responder.isAlive()).isFalse();

      QuotaPoolStats stats = pool.stats();
      assertThat(stats.passes()).isEqualTo(passed);
      assertThat(stats.passes() + stats.denials()).isEqualTo(checks.get());
      assertThat(checks.get()).isGreaterThanOrEqualTo((long) THREADS * CHECKS_PER_THREAD);
      assertThat(stats.grantedTokens()).isEqualTo(BUDGET);
      assertThat(passed + pool.available()).isEqualTo(stats.grantedTokens() + stats.overshoot());
      assertThat(stats.overshoot()).isLessThanOrEqualTo(MAX_PREFETCH);
      assertThat(passed).isBetween(BUDGET - pool.available(), BUDGET + MAX_PREFETCH);
      assertThat(stats.failOpenPasses()).isZero();
    } finally {
      workers.shutdownNow();
      responder.interrupt();
    }
  }
}
