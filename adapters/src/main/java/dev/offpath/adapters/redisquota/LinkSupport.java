package dev.offpath.adapters.redisquota;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What the links share: Lettuce's process-wide I/O resources (daemon threads), the client options
 * every connection uses, the URIs built from an endpoint, and the script call.
 *
 * <p>Reconnect delay: exponential from 10 ms, capped at {@value #RECONNECT_CAP_MILLIS} ms, so a
 * connection to a Redis that is back (or to the master Sentinel now names) is up again within that
 * cap; a dead Redis costs a handful of refused connects per second per connection.
 */
final class LinkSupport {

  static final long RECONNECT_CAP_MILLIS = 250;

  private static final class Resources {
    static final ClientResources SHARED =
        DefaultClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .threadFactoryProvider(name -> new DefaultThreadFactory("offpath-redis-" + name, true))
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(10),
                    Duration.ofMillis(RECONNECT_CAP_MILLIS),
                    2,
                    TimeUnit.MILLISECONDS))
            .build();
  }

  private LinkSupport() {}

  static ClientResources resources() {
    return Resources.SHARED;
  }

  /** Connection settings of one handler. */
  record Settings(
      int connections, Duration timeout, Duration retryInterval, @Nullable Path caFile) {}

  /** Auto-reconnect, reject (never queue) while disconnected, every command bounded by timeout. */
  static <B extends ClientOptions.Builder> B configure(B builder, Settings settings) {
    builder
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .requestQueueSize(10_000)
        .socketOptions(
            SocketOptions.builder().connectTimeout(max(settings.timeout(), Duration.ofSeconds(1)))
                .build())
        .timeoutOptions(TimeoutOptions.enabled(settings.timeout()));
    if (settings.caFile() != null) {
      builder.sslOptions(
          SslOptions.builder().jdkSslProvider().trustManager(settings.caFile().toFile()).build());
    }
    return builder;
  }

  /** The URI of one data node of {@code endpoint} (host, TLS, database, credentials). */
  static RedisURI dataNode(RedisEndpoint endpoint, RedisEndpoint.Node node) {
    RedisURI.Builder b =
        RedisURI.builder()
            .withHost(node.host())
            .withPort(node.port())
            .withSsl(endpoint.tls())
            .withDatabase(endpoint.database());
    credentials(b, endpoint);
    return b.build();
  }

  /** The sentinel URI: the sentinels, the master id, and the data nodes' credentials and TLS. */
  static RedisURI sentinel(RedisEndpoint endpoint) {
    String masterId = endpoint.masterId();
    if (masterId == null) {
      throw new IllegalArgumentException("not a sentinel endpoint");
    }
    RedisEndpoint.Node first = endpoint.nodes().get(0);
    RedisURI.Builder b = RedisURI.Builder.sentinel(first.host(), first.port(), masterId);
    for (RedisEndpoint.Node n : endpoint.nodes().subList(1, endpoint.nodes().size())) {
      b.withSentinel(n.host(), n.port());
    }
    b.withSsl(endpoint.tls()).withDatabase(endpoint.database());
    credentials(b, endpoint);
    return b.build();
  }

  /** The cluster's seed URIs. */
  static List<RedisURI> seeds(RedisEndpoint endpoint) {
    List<RedisURI> out = new ArrayList<>();
    for (RedisEndpoint.Node n : endpoint.nodes()) {
      out.add(dataNode(endpoint, n));
    }
    return out;
  }

  private static void credentials(RedisURI.Builder b, RedisEndpoint endpoint) {
    Secret password = endpoint.password();
    if (password == null) {
      return;
    }
    String user = endpoint.username();
    if (user != null) {
      b.withAuthentication(user, password.reveal());
    } else {
      b.withPassword(password.reveal().toCharArray());
    }
  }

  /** EVALSHA, then EVAL when the server answers NOSCRIPT (a restarted or promoted node). */
  static CompletableFuture<List<Object>> eval(
      RedisScriptingAsyncCommands<String, String> commands,
      String script,
      String sha,
      String[] keys,
      String... args) {
    CompletableFuture<List<Object>> first =
        commands.<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args)
            .toCompletableFuture();
    return first.exceptionallyCompose(
        e -> {
          if (unwrap(e) instanceof RedisNoScriptException) {
            return commands
                .<List<Object>>eval(script, ScriptOutputType.MULTI, keys, args)
                .toCompletableFuture();
          }
          return CompletableFuture.failedFuture(e);
        });
  }

  static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
