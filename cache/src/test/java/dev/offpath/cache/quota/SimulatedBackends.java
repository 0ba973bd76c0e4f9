package dev.offpath.cache.quota;

import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;

/**
 * The test's event loop: backends whose answers are decided when asked and delivered by {@link
 * #deliverDue} once the fake clock has reached the answer's due time. No threads.
 */
final class SimulatedBackends {

  private record Pending(long due, long seq, CompletableFuture<QuotaResult> future, Object answer)
      implements Comparable<Pending> {
    @Override
    public int compareTo(Pending o) {
      int c = Long.compare(due, o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  /** A rate limit server: decides a grant at the time it is asked. */
  interface RateServer {
    QuotaResult allocate(long amount, long now);
  }

  private final FakeTicker ticker;
  private final long delayNanos;
  private final PriorityQueue<Pending> pending = new PriorityQueue<>();
  private long seq;
  private long calls;

  SimulatedBackends(FakeTicker ticker, Duration delay) {
    this.ticker = ticker;
    this.delayNanos = delay.toNanos();
  }

  /** A backend that answers from {@code server} after the delay. */
  QuotaBackend backend(RateServer server) {
    return amount -> {
      calls++;
      long now = ticker.nanoTime();
      return later(now, server.allocate(amount, now));
    };
  }

  /** A backend whose futures fail after the delay. */
  QuotaBackend failing() {
    return amount -> {
      calls++;
      CompletableFuture<QuotaResult> f = new CompletableFuture<>();
      pending.add(
          new Pending(ticker.nanoTime() + delayNanos, seq++, f, new IllegalStateException("down")));
      return f;
    };
  }

  private CompletableFuture<QuotaResult> later(long now, QuotaResult result) {
    CompletableFuture<QuotaResult> f = new CompletableFuture<>();
    pending.add(new Pending(now + delayNanos, seq++, f, result));
    return f;
  }

  /** Completes, in due order, every answer due at or before the clock's time. */
  void deliverDue() {
    long now = ticker.nanoTime();
    while (!pending.isEmpty() && pending.peek().due() <= now) {
      Pending p = pending.poll();
      if (p.answer() instanceof QuotaResult r) {
        p.future().complete(r);
      } else {
        p.future().completeExceptionally((Throwable) p.answer());
      }
    }
  }

  /** Moves the clock to {@code nanos} (never back). */
  void advanceTo(long nanos) {
    long delta = nanos - ticker.nanoTime();
    if (delta < 0) {
      throw new IllegalArgumentException(
          "time: " + nanos + " (expected: >= " + ticker.nanoTime() + ")");
    }
    ticker.advance(Duration.ofNanos(delta));
  }

  long calls() {
    return calls;
  }

  /**
   * mixerclient's rolling-window server: a window of {@code rate} tokens opens on the first request
   * at or after the previous window's end; grants expire at the window's end.
   */
  static RateServer rollingWindow(long rate, Duration window) {
    long windowNanos = window.toNanos();
    return new RateServer() {
      private long windowEnd = 0;
      private long left;

      @Override
      public QuotaResult allocate(long amount, long now) {
        if (now >= windowEnd) {
          left = rate;
          windowEnd = now + windowNanos;
        }
        long granted = Math.min(amount, left);
        left -= granted;
        return QuotaResult.granted(granted, Duration.ofNanos(windowEnd - now));
      }
    };
  }
}
