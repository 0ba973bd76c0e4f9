package dev.offpath.cache.quota;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.time.Ticker;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * One quota's local token pool, refilled from its {@link QuotaBackend} ahead of demand:
 * mixerclient's quota prefetch.
 *
 * <p><b>What.</b> Tokens the backend granted sit in a FIFO of slots, each with the expiry the
 * backend gave ({@code validDuration}). {@link #check} takes {@code amount} tokens from the oldest
 * live slots, all or nothing, and never waits on the backend. A {@link UsageCounter} tracks the
 * tokens asked for over the predict window (1 s in 20 slots); {@code desired = max(usage,
 * minPrefetch)}.
 *
 * <p><b>When to prefetch</b> (decided before the check's own usage is counted): when {@code
 * available < desired / 2} and nothing is in flight, or {@code available < amount}. The prefetch
 * asks for {@code max(amount, desired)}. Two modes: OPEN after a full grant, CLOSE after a partial
 * one. In CLOSE mode no prefetch is sent while one is in flight or within {@code closeWait} of the
 * last.
 *
 * <p><b>Optimistic grant.</b> In OPEN mode, when the pool is empty, the asked amount is put in a
 * provisional slot at once (expiring after {@code provisionalValidity}), so a quota with headroom
 * does not deny while its first prefetch is in flight. When the answer comes, the shortfall {@code
 * asked - granted} is taken back from the provisional slot, then from other slots; what cannot be
 * taken back was already spent and is counted as {@link QuotaPoolStats#overshoot()}. A surviving
 * provisional slot takes the backend's expiry. No optimistic grant is made while the backend says
 * it is not {@linkplain QuotaBackend#healthy() healthy}: its answer is known to be a failure, so
 * FAIL_OPEN passes the check at once and FAIL_CLOSE denies it. Under FAIL_CLOSE, unlike
 * mixerclient, at most one optimistic prefetch is in flight at a time, which bounds the overshoot by
 * one prefetch amount per round trip; a check the pool cannot cover while it is unanswered is
 * denied, and it sends no prefetch of its own while the unconfirmed asks in flight would cover it
 * (mixerclient sent one per such check, so a tight burst during one round trip drained a limited
 * backend into the pool, a call per check). Under FAIL_OPEN, as in mixerclient, every check that finds the pool empty in OPEN mode
 * gets an optimistic prefetch of its own, so a check is never denied for want of an answer: only a
 * partial grant (CLOSE mode) denies. This matters when the backend dies: until its failure is known
 * (the client sees the connection close, or the call times out) it still looks healthy, and a pool
 * that waited on its one optimistic prefetch would deny under FAIL_OPEN. Each optimistic batch is
 * asked of the backend ({@code max(amount, desired)}, and desired follows the demand), so the
 * overshoot is what the backend refuses, at most one round trip's demand when the limit is reached.
 *
 * <p><b>Failures.</b> A failed future, an error status or no answer within {@code responseTimeout}
 * counts as a failure. {@link FailurePolicy#FAIL_OPEN} settles it as a full grant valid for {@code
 * failOpenValidity} and puts the pool in <i>failing-open</i> state until the backend answers again:
 * a check the tokens cannot cover passes anyway ({@link QuotaPoolStats#failOpenPasses()}), so a
 * failing or hung backend never denies traffic, and prefetches are paced as in CLOSE mode (one at a
 * time, {@code closeWait} apart) instead of one per check. {@code FAIL_CLOSE} settles a failure as
 * a grant of nothing (CLOSE mode). A late answer to a timed-out prefetch is ignored. Timeouts are
 * found lazily, on the next {@link #check}; the pool owns no thread.
 *
 * <p><b>Invariant</b> (when nothing is in flight): {@code passed + available <= granted + overshoot
 * + failOpenPasses} in tokens, equal when no tokens expired unused.
 *
 * <p><b>Thread-safety.</b> All state is guarded by one lock, held only for the bookkeeping of a
 * check or an answer (a few slots). The backend is called and answers are applied outside the
 * caller's critical section, on whatever thread completes the future.
 */
public final class QuotaPool {

  /** Expiries are capped so that {@code now + validity} cannot overflow. */
  private static final long MAX_NANOS = Long.MAX_VALUE >> 2;

  private final QuotaBackend backend;
  private final Ticker ticker;
  private final PrefetchOptions options;
  private final long closeWaitNanos;
  private final long provisionalNanos;
  private final long timeoutNanos;
  private final long failOpenNanos;

  private final ReentrantLock lock = new ReentrantLock();
  /** Oldest first; index loops, not iterators, so a check allocates nothing. */
  private final ArrayList<Slot> slots = new ArrayList<>();
  private final ArrayDeque<Prefetch> inFlight = new ArrayDeque<>();
  private final UsageCounter usage;
  private boolean closeMode;
  private boolean failingOpen;
  private long lastPrefetchAt;

  private long passes;
  private long denials;
  private long prefetches;
  private long optimisticGrants;
  private long grantedTokens;
  private long overshoot;
  private long failOpenPasses;
  private long failures;
  private long timeouts;

  public QuotaPool(QuotaBackend backend, Ticker ticker, PrefetchOptions options) {
    this.backend = requireNonNull(backend, "backend");
    this.ticker = requireNonNull(ticker, "ticker");
    this.options = requireNonNull(options, "options");
    this.closeWaitNanos = nanos(options.closeWait());
    this.provisionalNanos = nanos(options.provisionalValidity());
    this.timeoutNanos = nanos(options.responseTimeout());
    this.failOpenNanos = nanos(options.failOpenValidity());
    this.usage =
        new UsageCounter(
            PrefetchOptions.WINDOW_SLOTS, nanos(options.predictWindow()), ticker.nanoTime());
  }

  /**
   * Takes {@code amount} tokens if the pool holds that many, all or nothing; may start a prefetch.
   * Never waits on the backend.
   */
  public boolean check(long amount) {
    if (amount < 1) {
      throw new IllegalArgumentException("amount: " + amount + " (expected: > 0)");
    }
    Prefetch toSend;
    boolean passed;
    lock.lock();
    try {
      long now = ticker.nanoTime();
      failUnanswered(now);
      toSend = planPrefetch(amount, now);
      usage.add(amount, now);
      if (available(now) >= amount) {
        take(amount, now);
        passed = true;
      } else if (failingOpen
          || (options.failurePolicy() == FailurePolicy.FAIL_OPEN && !backend.healthy())) {
        failOpenPasses += amount;
        passed = true;
      } else {
        passed = false;
      }
      if (passed) {
        passes++;
      } else {
        denials++;
      }
    } finally {
      lock.unlock();
    }
    if (toSend != null) {
      send(toSend);
    }
    return passed;
  }

  /** Live tokens in the pool, provisional ones included. */
  public long available() {
    lock.lock();
    try {
      return available(ticker.nanoTime());
    } finally {
      lock.unlock();
    }
  }

  /** Prefetches sent and not yet answered (nor timed out). */
  public int inFlight() {
    lock.lock();
    try {
      return inFlight.size();
    } finally {
      lock.unlock();
    }
  }

  public QuotaPoolStats stats() {
    lock.lock();
    try {
      return new QuotaPoolStats(
          passes,
          denials,
          prefetches,
          optimisticGrants,
          grantedTokens,
          overshoot,
          failOpenPasses,
          failures,
          timeouts);
    } finally {
      lock.unlock();
    }
  }

  /** Whether the last failure was settled by FAIL_OPEN and no answer came since. */
  boolean failingOpen() {
    lock.lock();
    try {
      return failingOpen;
    } finally {
      lock.unlock();
    }
  }

  /** Whether the last answer was a partial grant (CLOSE mode). */
  boolean closeMode() {
    lock.lock();
    try {
      return closeMode;
    } finally {
      lock.unlock();
    }
  }

  private @Nullable Prefetch planPrefetch(long amount, long now) {
    if ((closeMode || failingOpen)
        && (!inFlight.isEmpty() || now - lastPrefetchAt < closeWaitNanos)) {
      return null;
    }
    long avail = available(now);
    long desired = Math.max(usage.count(now), options.minPrefetch());
    if ((avail < desired / 2 && inFlight.isEmpty()) || avail < amount) {
      if (options.failurePolicy() == FailurePolicy.FAIL_CLOSE
          && avail + unconfirmedAsked() >= amount) {
        return null; // an answer on its way covers this check: one more call would only drain it
      }
      long ask = Math.max(amount, desired);
      Slot provisional = null;
      if (avail == 0
          && !closeMode
          && !failingOpen
          && mayGrantOptimistically()
          && backend.healthy()) {
        provisional = new Slot(ask, now + provisionalNanos);
        slots.add(provisional);
        optimisticGrants++;
      }
      Prefetch prefetch = new Prefetch(ask, now, provisional);
      inFlight.addLast(prefetch);
      lastPrefetchAt = now;
      prefetches++;
      return prefetch;
    }
    return null;
  }

  private void send(Prefetch prefetch) {
    CompletableFuture<QuotaResult> answer;
    try {
      answer = backend.allocate(prefetch.amount);
      if (answer == null) {
        answer = CompletableFuture.failedFuture(new NullPointerException("allocate returned null"));
      }
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete((result, error) -> onAnswer(prefetch, result, error));
  }

  private void onAnswer(
      Prefetch prefetch, @Nullable QuotaResult result, @Nullable Throwable error) {
    lock.lock();
    try {
      if (!inFlight.remove(prefetch)) {
        return;
      }
      long now = ticker.nanoTime();
      if (error == null && result != null && isAnswer(result.status().code())) {
        failingOpen = false;
        settle(
            prefetch,
            Math.min(result.granted(), prefetch.amount),
            nanos(result.validDuration()),
            now);
      } else {
        failures++;
        settleFailure(prefetch, now);
      }
    } finally {
      lock.unlock();
    }
  }

  private static boolean isAnswer(StatusCode code) {
    return code == StatusCode.OK || code == StatusCode.RESOURCE_EXHAUSTED;
  }

  private void failUnanswered(long now) {
    while (!inFlight.isEmpty() && now - inFlight.peekFirst().sentAt >= timeoutNanos) {
      Prefetch prefetch = inFlight.pollFirst();
      failures++;
      timeouts++;
      settleFailure(prefetch, now);
    }
  }

  private void settleFailure(Prefetch prefetch, long now) {
    if (options.failurePolicy() == FailurePolicy.FAIL_OPEN) {
      failingOpen = true;
      settle(prefetch, prefetch.amount, failOpenNanos, now);
    } else {
      settle(prefetch, 0, 0, now);
    }
  }

  private void settle(Prefetch prefetch, long granted, long validNanos, long now) {
    grantedTokens += granted;
    long expiresAt = now + Math.min(validNanos, MAX_NANOS);
    Slot provisional = prefetch.provisional;
    if (provisional != null) {
      long shortfall = prefetch.amount - granted;
      long fromOwn = Math.min(provisional.available, shortfall);
      provisional.available -= fromOwn;
      overshoot += take(shortfall - fromOwn, now);
      if (provisional.available > 0) {
        provisional.expiresAt = expiresAt;
        if (provisional.removed) {
          provisional.removed = false;
          slots.add(provisional);
        }
      }
    } else if (granted > 0) {
      slots.add(new Slot(granted, expiresAt));
    }
    closeMode = granted < prefetch.amount;
  }

  /**
   * FAIL_CLOSE: one optimistic prefetch at a time (doubt denies). FAIL_OPEN: one per check that
   * finds the pool empty, as in mixerclient, since doubt must not deny under FAIL_OPEN: an
   * unanswered prefetch may be a backend that died a moment ago and whose failure is not known yet.
   */
  private boolean mayGrantOptimistically() {
    return options.failurePolicy() == FailurePolicy.FAIL_OPEN || !optimisticInFlight();
  }

  /** Tokens asked by in-flight prefetches that are not already in the pool as provisional ones. */
  private long unconfirmedAsked() {
    long sum = 0;
    for (Prefetch prefetch : inFlight) {
      if (prefetch.provisional == null) {
        sum += prefetch.amount;
      }
    }
    return sum;
  }

  private boolean optimisticInFlight() {
    for (Prefetch prefetch : inFlight) {
      if (prefetch.provisional != null) {
        return true;
      }
    }
    return false;
  }

  /** Sums the live slots, dropping expired and empty ones. */
  private long available(long now) {
    long sum = 0;
    for (int i = 0; i < slots.size(); i++) {
      Slot slot = slots.get(i);
      if (slot.live(now)) {
        sum += slot.available;
      }
    }
    compact(now);
    return sum;
  }

  /** Takes up to {@code amount} from the oldest live slots; returns what could not be taken. */
  private long take(long amount, long now) {
    for (int i = 0; amount > 0 && i < slots.size(); i++) {
      Slot slot = slots.get(i);
      if (slot.live(now)) {
        long d = Math.min(slot.available, amount);
        slot.available -= d;
        amount -= d;
      }
    }
    compact(now);
    return amount;
  }

  /** Removes the expired and empty slots, keeping the others in order. */
  private void compact(long now) {
    int kept = 0;
    int size = slots.size();
    for (int i = 0; i < size; i++) {
      Slot slot = slots.get(i);
      if (slot.live(now)) {
        slots.set(kept++, slot);
      } else {
        slot.removed = true;
      }
    }
    for (int i = size - 1; i >= kept; i--) {
      slots.remove(i);
    }
  }

  private static long nanos(Duration d) {
    try {
      return Math.min(d.toNanos(), MAX_NANOS);
    } catch (ArithmeticException e) {
      return MAX_NANOS;
    }
  }

  /** Tokens with one expiry. Guarded by the pool's lock. */
  private static final class Slot {
    long available;
    long expiresAt;
    boolean removed;

    Slot(long available, long expiresAt) {
      this.available = available;
      this.expiresAt = expiresAt;
    }

    boolean live(long now) {
      return available > 0 && now < expiresAt;
    }
  }

  /** An allocation sent to the backend; identity matters (a late answer finds it gone). */
  private static final class Prefetch {
    final long amount;
    final long sentAt;
    final @Nullable Slot provisional;

    Prefetch(long amount, long sentAt, @Nullable Slot provisional) {
      this.amount = amount;
      this.sentAt = sentAt;
      this.provisional = provisional;
    }
  }
}
