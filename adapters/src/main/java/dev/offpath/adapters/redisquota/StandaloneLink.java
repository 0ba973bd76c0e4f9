package dev.offpath.adapters.redisquota;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.time.Ticker;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Connections to one Redis master: a single server ({@code host:port}, {@code redis[s]://}) or the
 * master a Sentinel group names ({@code redis[s]-sentinel://}). Lettuce pipelines: a call is written
 * at once and never waits for earlier answers, so the prefetches of many pools share one
 * connection without queuing behind each other's round trips.
 *
 * <p>With Sentinel, Lettuce asks the sentinels for the master on every (re)connect, and a {@link
 * SentinelWatch} polls them: when the master changes it counts a failover, drops the connections
 * (one still open to a demoted master would get READONLY) and tells the handler, which lets its
 * breaker probe at once instead of waiting out {@code circuitBreakerOpenDuration}.
 *
 * <p>Never blocks the caller (see {@link RedisLink}); connections come from {@link
 * ConnectionSlots}.
 */
final class StandaloneLink implements RedisLink {

  private final RedisEndpoint endpoint;
  private final RedisClient client;
  private final ConnectionSlots<StatefulRedisConnection<String, String>> slots;
  private final @Nullable SentinelWatch watch;

  StandaloneLink(
      RedisEndpoint endpoint,
      LinkSupport.Settings settings,
      Ticker ticker,
      ScheduledExecutorService scheduler,
      Runnable onFailover) {
    this.endpoint = requireNonNull(endpoint, "endpoint");
    RedisURI uri =
        endpoint.mode() == RedisEndpoint.Mode.SENTINEL
            ? LinkSupport.sentinel(endpoint)
            : LinkSupport.dataNode(endpoint, endpoint.nodes().get(0));
    this.client = RedisClient.create(LinkSupport.resources(), uri);
    client.setOptions(LinkSupport.configure(ClientOptions.builder(), settings).build());
    this.slots =
        new ConnectionSlots<>(
            settings.connections(),
            () -> client.connectAsync(StringCodec.UTF8, uri),
            c -> {},
            true,
            ticker,
            settings.retryInterval(),
            endpoint.display());
    if (endpoint.mode() == RedisEndpoint.Mode.SENTINEL) {
      this.watch =
          new SentinelWatch(
              client,
              uri,
              () -> {
                slots.reset();
                onFailover.run();
              });
      watch.start(scheduler, SentinelWatch.POLL_INTERVAL);
    } else {
      this.watch = null;
    }
  }

  @Override
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    return slots.awaitConnected(timeout);
  }

  @Override
  public CompletableFuture<List<Object>> eval(
      String script, String sha, String[] keys, String... args) {
    StatefulRedisConnection<String, String> connection = slots.pick();
    if (connection == null) {
      return CompletableFuture.failedFuture(
          new RedisConnectionException("not connected to " + endpoint.display()));
    }
    return LinkSupport.eval(connection.async(), script, sha, keys, args);
  }

  @Override
  public String domain(String key) {
    return "";
  }

  @Override
  public int connected() {
    return slots.connected();
  }

  @Override
  public Topology topology() {
    if (watch != null) {
      return watch.topology();
    }
    return new Topology(slots.connected() > 0 ? 1 : 0, 0);
  }

  @Override
  public long failovers() {
    return watch == null ? 0 : watch.failovers();
  }

  @Override
  public void close() {
    slots.close();
    if (watch != null) {
      watch.close();
    }
    // Closes every connection of this client; the shared resources stay up for other handlers.
    client.shutdownAsync(0, 2, TimeUnit.SECONDS);
  }
}
