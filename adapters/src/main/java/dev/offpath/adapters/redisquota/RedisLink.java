package dev.offpath.adapters.redisquota;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A handler's connections to its Redis deployment: one server or a Sentinel-managed master ({@link
 * StandaloneLink}), or a Redis Cluster ({@link ClusterLink}). Implementations never block the
 * caller of {@link #eval}: a call without a live connection fails at once, every call times out
 * after the handler's {@code timeout}, and reconnection happens in the background.
 */
interface RedisLink extends AutoCloseable {

  /**
   * Waits up to {@code timeout} for the first connections (called once, on the config thread).
   * Returns whether at least one connection is open.
   */
  boolean awaitConnected(Duration timeout) throws InterruptedException;

  /**
   * Runs {@code script} (by {@code EVALSHA}, falling back to {@code EVAL} when the server does not
   * know it) with {@code keys}, which must all hash to one cluster slot. The future fails on any
   * error; it never blocks.
   */
  CompletableFuture<List<Object>> eval(String script, String sha, String[] keys, String... args);

  /**
   * Which failure domain serves {@code key}: the cluster node owning its slot, else one name for
   * the whole deployment. The handler keeps one circuit breaker per domain, so a dead cluster
   * master does not stop calls to the live ones.
   */
  String domain(String key);

  /** Open connections now (for a cluster: to the nodes Lettuce has connected to). */
  int connected();

  /** The deployment as last seen: reachable masters and replicas. */
  Topology topology();

  /** Failovers seen: a master replaced by another node (Sentinel switch, cluster promotion). */
  long failovers();

  @Override
  void close();

  /** Node counts by role. */
  record Topology(int masters, int replicas) {}
}
