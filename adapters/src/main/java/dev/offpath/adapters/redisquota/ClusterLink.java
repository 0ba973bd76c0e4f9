package dev.offpath.adapters.redisquota;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.time.Ticker;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.models.role.RedisInstance;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Connections to a Redis Cluster ({@code redis[s]-cluster://seed,seed…}) through Lettuce's cluster
 * client: a script call goes to the master of its key's slot (every key of one quota key shares a
 * hash tag, so one slot), MOVED and ASK are followed, and each node connection pipelines.
 *
 * <p>Topology: Lettuce refreshes it every {@link #PERIODIC_REFRESH} and on its adaptive triggers
 * (MOVED, ASK, persistent reconnect attempts, unknown node, uncovered slot), at most once per
 * {@link #ADAPTIVE_TIMEOUT}; a killed master's slots therefore reach the promoted replica about
 * {@code cluster-node-timeout} plus one second after the kill. A poll of Lettuce's local view every
 * {@link #POLL_INTERVAL} (no network) counts the nodes and the failovers: a node seen as a replica
 * that is now a master with slots.
 *
 * <p>{@link #domain} names the node that owns a key's slot, so the handler's breaker for a dead
 * master does not refuse calls for the other masters' slots.
 */
final class ClusterLink implements RedisLink {

  static final Duration PERIODIC_REFRESH = Duration.ofSeconds(5);
  static final Duration ADAPTIVE_TIMEOUT = Duration.ofSeconds(1);
  static final Duration POLL_INTERVAL = Duration.ofMillis(250);

  private final RedisEndpoint endpoint;
  private final RedisClusterClient client;
  private final ConnectionSlots<StatefulRedisClusterConnection<String, String>> slots;
  private final Runnable onFailover;
  private final AtomicLong failovers = new AtomicLong();
  private final Set<String> replicasSeen = new HashSet<>();
  private final Set<String> mastersSeen = new HashSet<>();
  private final ScheduledFuture<?> poll;
  private volatile boolean ready;
  private volatile Topology topology = new Topology(0, 0);

  ClusterLink(
      RedisEndpoint endpoint,
      LinkSupport.Settings settings,
      Ticker ticker,
      ScheduledExecutorService scheduler,
      Runnable onFailover) {
    this.endpoint = requireNonNull(endpoint, "endpoint");
    this.onFailover = requireNonNull(onFailover, "onFailover");
    this.client = RedisClusterClient.create(LinkSupport.resources(), LinkSupport.seeds(endpoint));
    client.setOptions(
        LinkSupport.configure(ClusterClientOptions.builder(), settings)
            .topologyRefreshOptions(
                ClusterTopologyRefreshOptions.builder()
                    .enablePeriodicRefresh(PERIODIC_REFRESH)
                    .enableAllAdaptiveRefreshTriggers()
                    .adaptiveRefreshTriggersTimeout(ADAPTIVE_TIMEOUT)
                    .refreshTriggersReconnectAttempts(3)
                    .build())
            .build());
    this.slots =
        new ConnectionSlots<>(
            settings.connections(),
            // Lettuce wants the topology loaded before a connection; loading it is asynchronous.
            () ->
                client
                    .refreshPartitionsAsync()
                    .thenCompose(loaded -> client.connectAsync(StringCodec.UTF8)),
            c -> ready = true,
            false,
            ticker,
            settings.retryInterval(),
            endpoint.display());
    this.poll =
        scheduler.scheduleWithFixedDelay(
            this::observe, POLL_INTERVAL.toMillis(), POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    boolean up = slots.awaitConnected(timeout);
    if (up) {
      observe();
    }
    return up;
  }

  @Override
  public CompletableFuture<List<Object>> eval(
      String script, String sha, String[] keys, String... args) {
    StatefulRedisClusterConnection<String, String> connection = slots.pick();
    if (connection == null) {
      return CompletableFuture.failedFuture(
          new RedisConnectionException("not connected to " + endpoint.display()));
    }
    return LinkSupport.eval(connection.async(), script, sha, keys, args);
  }

  @Override
  public String domain(String key) {
    if (!ready) {
      // getPartitions() would load the topology synchronously before the first connection.
      return "";
    }
    RedisClusterNode node = client.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
    return node == null ? "" : node.getNodeId();
  }

  @Override
  public int connected() {
    return slots.connected();
  }

  @Override
  public Topology topology() {
    return topology;
  }

  @Override
  public long failovers() {
    return failovers.get();
  }

  /** Counts nodes and failovers in Lettuce's current view of the cluster (no network). */
  private synchronized void observe() {
    if (!ready) {
      return;
    }
    Partitions partitions = client.getPartitions();
    int masters = 0;
    int replicas = 0;
    boolean promoted = false;
    for (RedisClusterNode node : partitions) {
      if (node.is(NodeFlag.FAIL) || node.is(NodeFlag.EVENTUAL_FAIL) || node.is(NodeFlag.NOADDR)) {
        continue;
      }
      @Nullable String id = node.getNodeId();
      if (node.getRole() == RedisInstance.Role.UPSTREAM && !node.hasNoSlots()) {
        masters++;
        if (mastersSeen.add(id) && replicasSeen.contains(id)) {
          promoted = true;
          failovers.incrementAndGet();
        }
        replicasSeen.remove(id);
      } else if (node.getRole() == RedisInstance.Role.REPLICA) {
        replicas++;
        replicasSeen.add(id);
        mastersSeen.remove(id);
      }
    }
    topology = new Topology(masters, replicas);
    if (promoted) {
      onFailover.run();
    }
  }

  @Override
  public void close() {
    poll.cancel(false);
    slots.close();
    client.suspendTopologyRefresh();
    client.shutdownAsync(0, 2, TimeUnit.SECONDS);
  }
}
