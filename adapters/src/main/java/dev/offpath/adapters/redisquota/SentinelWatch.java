package dev.offpath.adapters.redisquota;

import static java.util.Objects.requireNonNull;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Polls a Sentinel group for its master and replicas every {@link #POLL_INTERVAL}: the topology
 * gauge's source, and the failover detector. A master address different from the last one seen is
 * a failover: {@code onFailover} runs (on the poll's thread, once per change).
 *
 * <p>One sentinel connection (Lettuce picks the first sentinel that answers); a failed poll drops
 * it, so the next poll connects again, possibly to another sentinel. At most one poll is in flight;
 * polls never block the scheduler thread (everything is asynchronous).
 */
final class SentinelWatch {

  static final Duration POLL_INTERVAL = Duration.ofMillis(250);

  private final RedisClient client;
  private final RedisURI uri;
  private final String masterId;
  private final Runnable onFailover;
  private final AtomicBoolean polling = new AtomicBoolean();
  private final AtomicLong failovers = new AtomicLong();
  private volatile @Nullable CompletableFuture<StatefulRedisSentinelConnection<String, String>>
      connection;
  private volatile RedisLink.Topology topology = new RedisLink.Topology(0, 0);
  private volatile @Nullable String master;
  private volatile @Nullable ScheduledFuture<?> task;
  private volatile boolean closed;

  SentinelWatch(RedisClient client, RedisURI uri, Runnable onFailover) {
    this.client = requireNonNull(client, "client");
    this.uri = requireNonNull(uri, "uri");
    this.masterId = requireNonNull(uri.getSentinelMasterId(), "masterId");
    this.onFailover = requireNonNull(onFailover, "onFailover");
  }

  void start(ScheduledExecutorService scheduler, Duration interval) {
    task =
        scheduler.scheduleWithFixedDelay(
            this::poll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  RedisLink.Topology topology() {
    return topology;
  }

  long failovers() {
    return failovers.get();
  }

  private void poll() {
    if (closed || !polling.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<StatefulRedisSentinelConnection<String, String>> c = connection;
    if (c == null) {
      c = client.connectSentinelAsync(StringCodec.UTF8, uri);
      connection = c;
    }
    CompletableFuture<StatefulRedisSentinelConnection<String, String>> current = c;
    current
        .thenCompose(
            s ->
                s.async()
                    .master(masterId)
                    .toCompletableFuture()
                    .thenCombine(s.async().replicas(masterId).toCompletableFuture(), this::seen))
        .whenComplete(
            (ok, e) -> {
              if (e != null) {
                connection = null;
                current.thenAccept(StatefulRedisSentinelConnection::closeAsync);
                topology = new RedisLink.Topology(0, topology.replicas());
              }
              polling.set(false);
            });
  }

  private boolean seen(Map<String, String> m, List<Map<String, String>> replicas) {
    boolean masterUp = !down(m.getOrDefault("flags", ""));
    int up = 0;
    for (Map<String, String> r : replicas) {
      if (!down(r.getOrDefault("flags", ""))) {
        up++;
      }
    }
    topology = new RedisLink.Topology(masterUp ? 1 : 0, up);
    String address = m.get("ip") + ":" + m.get("port");
    String before = master;
    master = address;
    if (before != null && !before.equals(address)) {
      failovers.incrementAndGet();
      onFailover.run();
    }
    return true;
  }

  private static boolean down(String flags) {
    return flags.contains("s_down") || flags.contains("o_down") || flags.contains("disconnected");
  }

  void close() {
    closed = true;
    ScheduledFuture<?> t = task;
    if (t != null) {
      t.cancel(false);
    }
    CompletableFuture<StatefulRedisSentinelConnection<String, String>> c = connection;
    if (c != null) {
      c.thenAccept(StatefulRedisSentinelConnection::closeAsync);
    }
  }
}
