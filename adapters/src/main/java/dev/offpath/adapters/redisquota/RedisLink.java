package dev.offpath.adapters.redisquota;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.time.Ticker;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One handler's connections to its Redis, used round-robin. Lettuce pipelines: a call is written at
 * once and never waits for earlier answers, so concurrent prefetches of many pools share one
 * connection without queuing behind each other's round trips.
 *
 * <p>Never blocks the caller. A slot without a live connection fails the call at once ({@link
 * RedisConnectionException}) and, at most once per {@code retryInterval}, starts connecting in the
 * background; a connection that was up reconnects by itself (Lettuce's auto-reconnect, with a delay
 * capped at 1 s), and commands sent while it is down are rejected rather than queued. Every command
 * times out after {@code timeout}. Scripts go by {@code EVALSHA}, falling back to {@code EVAL} when
 * Redis does not know the script (a restarted Redis forgets them).
 *
 * <p>Lettuce's I/O threads come from one process-wide set of {@link ClientResources} (daemon
 * threads), shared by every handler.
 */
final class RedisLink implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RedisLink.class);

  private static final class Resources {
    static final ClientResources SHARED =
        DefaultClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .threadFactoryProvider(name -> new DefaultThreadFactory("offpath-redis-" + name, true))
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
            .build();
  }

  private final RedisURI uri;
  private final RedisClient client;
  private final Ticker ticker;
  private final long retryNanos;
  private final Slot[] slots;
  private final AtomicInteger next = new AtomicInteger();
  private volatile boolean closed;

  RedisLink(
      RedisURI uri, int connections, Duration timeout, Duration retryInterval, Ticker ticker) {
    this.uri = requireNonNull(uri, "uri");
    this.ticker = requireNonNull(ticker, "ticker");
    this.retryNanos = retryInterval.toNanos();
    this.client = RedisClient.create(Resources.SHARED, uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .requestQueueSize(10_000)
            .socketOptions(
                SocketOptions.builder()
                    .connectTimeout(max(timeout, Duration.ofSeconds(1)))
                    .build())
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .build());
    this.slots = new Slot[connections];
    for (int i = 0; i < connections; i++) {
      slots[i] = new Slot();
      slots[i].connect(ticker.nanoTime());
    }
  }

  /**
   * Waits up to {@code timeout} for the first connections (handlers are created on the config
   * thread, never on a request thread), so a server that starts with Redis up does not begin by
   * failing its first prefetches. Returns whether at least one connection is open.
   */
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

  /** Runs {@code script} on one connection; the future fails on any error, never blocks. */
  CompletableFuture<List<Object>> eval(
      String script, String sha, String[] keys, String... args) {
    Slot slot = slots[Math.floorMod(next.getAndIncrement(), slots.length)];
    StatefulRedisConnection<String, String> connection = slot.connection();
    if (connection == null || !connection.isOpen()) {
      return CompletableFuture.failedFuture(
          new RedisConnectionException("not connected to " + uri.getHost() + ":" + uri.getPort()));
    }
    CompletableFuture<List<Object>> first =
        connection.async().<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args)
            .toCompletableFuture();
    return first.exceptionallyCompose(
        e -> {
          if (unwrap(e) instanceof RedisNoScriptException) {
            return connection.async()
                .<List<Object>>eval(script, ScriptOutputType.MULTI, keys, args)
                .toCompletableFuture();
          }
          return CompletableFuture.failedFuture(e);
        });
  }

  /** How many slots hold an open connection. */
  int connected() {
    int n = 0;
    for (Slot s : slots) {
      StatefulRedisConnection<String, String> c = s.current;
      if (c != null && c.isOpen()) {
        n++;
      }
    }
    return n;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  @Override
  public void close() {
    closed = true;
    // Closes every connection of this client; the shared resources stay up for other handlers.
    client.shutdownAsync(0, 2, TimeUnit.SECONDS);
  }

  /** One connection, created lazily and re-created when a first connect failed. */
  private final class Slot {
    volatile @Nullable StatefulRedisConnection<String, String> current;
    volatile @Nullable CompletableFuture<?> attempt;
    private boolean connecting;
    private long lastAttempt;

    @Nullable StatefulRedisConnection<String, String> connection() {
      StatefulRedisConnection<String, String> c = current;
      if (c == null) {
        connect(ticker.nanoTime());
      }
      return c;
    }

    void connect(long now) {
      synchronized (this) {
        if (closed || connecting || current != null) {
          return;
        }
        if (lastAttempt != 0 && now - lastAttempt < retryNanos) {
          return;
        }
        connecting = true;
        lastAttempt = now == 0 ? 1 : now;
      }
      attempt =
          client
          .connectAsync(StringCodec.UTF8, uri)
          .toCompletableFuture()
          .whenComplete(
              (c, e) -> {
                synchronized (this) {
                  connecting = false;
                  if (e == null && !closed) {
                    current = c;
                    return;
                  }
                }
                if (c != null) {
                  c.closeAsync();
                }
                if (e != null && log.isDebugEnabled()) {
                  log.debug("connecting to redis {} failed: {}", uri, e.toString());
                }
              });
    }
  }
}
