package dev.offpath.adapters.redisquota;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.time.Ticker;
import io.lettuce.core.api.StatefulConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fixed number of connections used round-robin, each created lazily in the background. A slot
 * whose connect failed is retried when a caller picks it, after {@link #FIRST_RETRY} doubling up
 * to {@code retryInterval} while connects keep failing (after a Sentinel switch, a sentinel that
 * has not heard of it yet names the old master for a second or two: the slot must not wait a
 * whole interval for each such answer); a connection that was up reconnects by itself (Lettuce's
 * auto-reconnect). {@link #pick()} never blocks: it returns the slot's connection or null.
 *
 * <p>{@link #reset()} starts a new generation: a connect that was already in flight then (with
 * Sentinel, it may have asked for the master before the switch and reach the demoted one) is
 * closed when it completes, never used, and the slot connects again.
 *
 * <p>Thread-safe: slots publish their connection through a volatile field; connecting is guarded
 * by the slot's monitor.
 */
final class ConnectionSlots<C extends StatefulConnection<String, String>> {

  private static final Logger log = LoggerFactory.getLogger(ConnectionSlots.class);

  /** The wait before retrying a slot whose connect failed first (at most {@code retryInterval}). */
  static final Duration FIRST_RETRY = Duration.ofMillis(50);

  private final Supplier<CompletionStage<C>> connector;
  private final Consumer<C> onConnected;
  private final boolean checkOpen;
  private final Ticker ticker;
  private final long retryNanos;
  private final String target;
  private final List<Slot> slots;
  private final AtomicInteger next = new AtomicInteger();
  /** Bumped by {@link #reset()}; a connect started in an earlier generation is discarded. */
  private final AtomicInteger generation = new AtomicInteger();
  private volatile boolean closed;

  /**
   * @param checkOpen whether a connection that is not open is skipped: true for one server; false
   *     for a cluster connection, whose {@code isOpen()} follows its default node only (a dead
   *     master must not stop calls to the live ones: Lettuce fails those per node)
   * @param target the endpoint as logs may show it (never with its password)
   */
  ConnectionSlots(
      int size,
      Supplier<CompletionStage<C>> connector,
      Consumer<C> onConnected,
      boolean checkOpen,
      Ticker ticker,
      Duration retryInterval,
      String target) {
    this.connector = requireNonNull(connector, "connector");
    this.onConnected = requireNonNull(onConnected, "onConnected");
    this.checkOpen = checkOpen;
    this.ticker = requireNonNull(ticker, "ticker");
    this.retryNanos = retryInterval.toNanos();
    this.target = requireNonNull(target, "target");
    List<Slot> all = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      all.add(new Slot());
    }
    this.slots = List.copyOf(all);
    for (Slot slot : slots) {
      slot.connect(ticker.nanoTime());
    }
  }

  /** The next slot's open connection, or null (a reconnect may then start in the background). */
  @Nullable C pick() {
    Slot slot = slots.get(Math.floorMod(next.getAndIncrement(), slots.size()));
    C c = slot.connection();
    return c != null && (!checkOpen || c.isOpen()) ? c : null;
  }

  /** See {@link RedisLink#awaitConnected}. */
  boolean awaitConnected(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Slot slot : slots) {
      CompletableFuture<?> attempt = slot.attempt;
      long left = deadline - System.nanoTime();
      if (attempt != null && left > 0) {
        try {
          attempt.get(left, TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
          // counted below
        }
      }
    }
    return connected() > 0;
  }

  /** How many slots hold an open connection. */
  int connected() {
    int n = 0;
    for (Slot s : slots) {
      C c = s.current;
      if (c != null && (!checkOpen || c.isOpen())) {
        n++;
      }
    }
    return n;
  }

  /**
   * Drops every connection (closing it) so that the next pick connects anew: after a Sentinel
   * switch, a connection still open to the demoted master would answer every write with READONLY.
   */
  void reset() {
    generation.incrementAndGet();
    for (Slot s : slots) {
      C c;
      synchronized (s) {
        c = s.current;
        s.current = null;
        s.lastAttempt = 0;
        s.retryWait = 0;
      }
      if (c != null) {
        c.closeAsync();
      }
      s.connect(ticker.nanoTime());
    }
  }

  /** Stops connecting; the connections are closed with their client. */
  void close() {
    closed = true;
  }

  /** One connection, created lazily and re-created when a first connect failed. */
  private final class Slot {
    volatile @Nullable C current;
    volatile @Nullable CompletableFuture<?> attempt;
    private boolean connecting;
    private long lastAttempt;
    /** How long after {@link #lastAttempt} a failed slot may connect again; 0: none failed. */
    private long retryWait;

    @Nullable C connection() {
      C c = current;
      if (c == null) {
        connect(ticker.nanoTime());
      }
      return c;
    }

    void connect(long now) {
      int startedIn;
      synchronized (this) {
        if (closed || connecting || current != null) {
          return;
        }
        if (lastAttempt != 0 && now - lastAttempt < retryWait) {
          return;
        }
        connecting = true;
        lastAttempt = now == 0 ? 1 : now;
        startedIn = generation.get();
      }
      // Published before the connector runs: a connect that completes at once and starts the
      // next one (a stale connect) must not leave its own, earlier attempt here afterwards.
      CompletableFuture<Void> done = new CompletableFuture<>();
      attempt = done;
      CompletionStage<C> stage;
      try {
        stage = connector.get();
      } catch (RuntimeException e) {
        stage = CompletableFuture.failedFuture(e);
      }
      stage
          .toCompletableFuture()
          .whenComplete(
              (c, e) -> {
                try {
                  settle(c, e, startedIn);
                } finally {
                  done.complete(null);
                }
              });
    }

    /** A connect's outcome: the slot's connection, a stale one closed and replaced, or a retry. */
    private void settle(@Nullable C c, @Nullable Throwable e, int startedIn) {
      boolean stale = false;
      boolean used = false;
      synchronized (this) {
        connecting = false;
        if (e != null || c == null) {
          retryWait =
              retryWait == 0
                  ? Math.min(FIRST_RETRY.toNanos(), retryNanos)
                  : Math.min(retryNanos, retryWait * 2);
        } else if (!closed) {
          retryWait = 0;
          stale = startedIn != generation.get();
          if (stale) {
            lastAttempt = 0; // connect again at once, in the new generation
          } else {
            current = c;
            used = true;
          }
        }
      }
      if (c == null) {
        if (log.isDebugEnabled()) {
          log.debug("connecting to redis {} failed: {}", target, String.valueOf(e));
        }
        return;
      }
      if (used) {
        onConnected.accept(c);
        return;
      }
      c.closeAsync();
      if (stale) {
        connect(ticker.nanoTime());
      }
    }
  }
}
