package dev.offpath.server;

import static dev.offpath.server.RedisQuotaFleet.NO_ANSWER;
import static dev.offpath.server.RedisQuotaFleet.OK;
import static dev.offpath.server.RedisQuotaFleet.RESOURCE_EXHAUSTED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.testing.RedisCluster;
import dev.offpath.core.testing.RedisProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * redisquota on a real Redis Cluster (3 masters, 3 replicas, created by {@code redis-cli --cluster
 * create … --cluster-replicas 1}) shared by three Offpath servers, checked through real ext_authz
 * stubs. The failover test kills a master, so it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterEndToEndTest {

  private static final int KEYS = 1_000;
  private static final int LIMIT = 100;
  /** One prefetch (10 tokens) per server may pass optimistically while a pool is dry. */
  private static final int OVERSHOOT_PER_KEY = 3 * 10;
  private static final int ROUNDS = LIMIT + OVERSHOOT_PER_KEY + 10;
  private static final Duration CHECK_DEADLINE = Duration.ofSeconds(10);

  @TempDir static Path clusterDir;
  @TempDir Path dir;
  private static RedisCluster cluster;
  private RedisQuotaFleet fleet;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = RedisCluster.start(clusterDir.resolve("cluster"));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    cluster.close();
  }

  @BeforeEach
  void flush() throws Exception {
    cluster.reset();
    fleet = new RedisQuotaFleet();
  }

  @AfterEach
  void stopFleet() throws Exception {
    fleet.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"FIXED_WINDOW", "ROLLING_WINDOW"})
  @Order(1)
  void threeServersShareOneLimitPerKeyAcrossTheCluster(String algorithm) throws Exception {
    Path config =
        RedisQuotaFleet.config(
            dir, "cluster", cluster.url(), algorithm, LIMIT, "FAIL_CLOSE",
            // No call times out on this busy machine: a timed-out call's grant is lost, and
            // this test compares every counter with what the pools were granted.
            "timeout: 5s");
    for (int i = 0; i < 3; i++) {
      fleet.start(config);
    }
    AtomicIntegerArray allowed = new AtomicIntegerArray(KEYS);
    AtomicIntegerArray unanswered = new AtomicIntegerArray(KEYS);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = t;
        work.add(
            pool.submit(
                () -> {
                  for (int round = 0; round < ROUNDS; round++) {
                    for (int k = first; k < KEYS; k += threads) {
                      int code = fleet.check((k + round) % 3, "u" + k, CHECK_DEADLINE);
                      if (code == OK) {
                        allowed.incrementAndGet(k);
                      } else if (code != RESOURCE_EXHAUSTED) {
                        unanswered.incrementAndGet(k);
                      }
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : work) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    // Every answer in flight has landed before the counters are compared with the grants.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (fleet.metric("offpath_redisquota_pool_prefetches_in_flight") > 0) {
      assertThat(System.nanoTime()).as("prefetches still in flight").isLessThan(deadline);
      Thread.sleep(10);
    }
    long counted = 0;
    long totalAllowed = 0;
    Map<Integer, Integer> keysPerMaster = new HashMap<>();
    for (int k = 0; k < KEYS; k++) {
      String key = RedisQuotaFleet.key("u" + k, algorithm);
      RedisProcess master = cluster.masterOf(key);
      keysPerMaster.merge(master.port(), 1, Integer::sum);
      long c = counter(master, key, algorithm);
      assertThat(c).as("Redis counter of %s", key).isEqualTo(LIMIT);
      assertThat(unanswered.get(k)).as("unanswered checks of u%s", k).isZero();
      assertThat(allowed.get(k)).as("checks allowed for u%s", k)
          .isLessThanOrEqualTo(LIMIT + OVERSHOOT_PER_KEY);
      counted += c;
      totalAllowed += allowed.get(k);
    }
    // The keys spread over the three masters (hash tags by quota and dimensions).
    assertThat(keysPerMaster).hasSize(3);
    assertThat(keysPerMaster.values()).allMatch(n -> n > KEYS / 6);
    // What the cluster counted is exactly what it granted to the three servers' pools.
    assertThat(fleet.metric("offpath_redisquota_pool_failures_total")).isZero();
    assertThat(fleet.metric("offpath_redisquota_pool_granted_tokens_total")).isEqualTo(counted);
    double overshoot = fleet.metric("offpath_redisquota_pool_overshoot_tokens_total");
    assertThat(fleet.metric("offpath_redisquota_checks_total", "result", "pass"))
        .isEqualTo(totalAllowed);
    assertThat(totalAllowed).isLessThanOrEqualTo(counted + (long) overshoot);
    assertThat(fleet.metric("offpath_redisquota_nodes", "role", "master")).isEqualTo(9);
    assertThat(fleet.metric("offpath_redisquota_nodes", "role", "replica")).isEqualTo(9);
    // Redis calls per 1,000 checks, for the record (pools batch: far fewer than one per check).
    long checks = (long) KEYS * ROUNDS;
    System.out.printf(
        "cluster %s: %d checks, %d allowed, %d script calls (%.1f per 1,000 checks),"
            + " overshoot %.0f%n",
        algorithm,
        checks,
        totalAllowed,
        (long) fleet.metric("offpath_redisquota_calls_total"),
        1000.0 * fleet.metric("offpath_redisquota_calls_total") / checks,
        overshoot);
  }

  private static long counter(RedisProcess master, String key, String algorithm) throws Exception {
    if (algorithm.equals("FIXED_WINDOW")) {
      Object v = master.call("GET", key);
      return v == null ? 0 : Long.parseLong(v.toString());
    }
    long sum = 0;
    List<?> fields = (List<?>) master.call("HVALS", key);
    for (Object f : fields) {
      sum += Long.parseLong(f.toString());
    }
    return sum;
  }

  @Test
  @Order(2)
  void aMasterKilledUnderLoadFailsOverAndTheLimitHoldsAgain() throws Exception {
    int limit = 200;
    Duration timeout = Duration.ofMillis(200);
    String params = "timeout: 200ms\ncircuitBreakerOpenDuration: 1s";
    RedisProcess victim = cluster.masters().get(0);
    List<String> onVictim = new ArrayList<>();
    List<String> elsewhere = new ArrayList<>();
    for (int k = 0; onVictim.size() < 10 || elsewhere.size() < 10; k++) {
      String user = "f" + k;
      boolean there = cluster.masterOf(RedisQuotaFleet.key(user, "FIXED_WINDOW")) == victim;
      if (there && onVictim.size() < 10) {
        onVictim.add(user);
      } else if (!there && elsewhere.size() < 10) {
        elsewhere.add(user);
      }
    }
    // The victims' keys have a limit of 200; the others one they do not reach in this test.
    StringBuilder overrides = new StringBuilder("overrides:\n");
    for (String u : onVictim) {
      overrides.append("- {dimensions: {user: ").append(u).append("}, maxAmount: ")
          .append(limit).append("}\n");
    }
    for (String policy : List.of("FAIL_OPEN", "FAIL_CLOSE")) {
      fleet.start(
          RedisQuotaFleet.config(
              dir, policy, cluster.url(), "FIXED_WINDOW", 1_000_000, policy, params,
              overrides.toString()));
    }
    // Checks answer within timeout + 50 ms whatever Redis does: they never wait for it.
    Duration deadline = timeout.plusMillis(50);
    Map<String, int[]> codes = new HashMap<>();
    // Warm up (first checks load classes and connect): no deadline of interest yet.
    for (String u : onVictim) {
      for (int s = 0; s < 2; s++) {
        assertThat(fleet.check(s, u, CHECK_DEADLINE)).isEqualTo(OK);
      }
    }
    for (String u : elsewhere) {
      for (int s = 0; s < 2; s++) {
        assertThat(fleet.check(s, u, CHECK_DEADLINE)).isEqualTo(OK);
      }
    }
    victim.kill();
    // While the cluster fails over: FAIL_OPEN passes the victim's keys, FAIL_CLOSE denies them
    // once their tokens are spent; keys on the live masters are served as usual by both.
    int deniedOnVictimFailClose = 0;
    int deniedElsewhere = 0;
    int victimChecks = 0;
    int noAnswer = 0;
    long killed = System.nanoTime();
    while (!promoted(victim) && System.nanoTime() - killed < Duration.ofSeconds(60).toNanos()) {
      for (String u : onVictim) {
        // Several checks per key and round, so that pools need Redis during the outage.
        for (int repeat = 0; repeat < 5; repeat++) {
          int open = fleet.timedCheck(0, u);
          int close = fleet.timedCheck(1, u);
          victimChecks++;
          noAnswer += (open == NO_ANSWER ? 1 : 0) + (close == NO_ANSWER ? 1 : 0);
          assertThat(open).as("FAIL_OPEN check of %s during the failover", u)
              .isIn(OK, NO_ANSWER);
          if (close == RESOURCE_EXHAUSTED) {
            deniedOnVictimFailClose++;
          }
        }
      }
      for (String u : elsewhere) {
        for (int s = 0; s < 2; s++) {
          int code = fleet.timedCheck(s, u);
          noAnswer += code == NO_ANSWER ? 1 : 0;
          if (code != OK) {
            deniedElsewhere++;
          }
        }
      }
    }
    assertThat(promoted(victim)).as("replica promoted").isTrue();
    // Every check is answered (2 s deadline), and on this shared machine at least 99% of them
    // within timeout + 50 ms: checks never wait for Redis.
    assertThat(noAnswer).as("checks not answered within 2 s").isZero();
    System.out.printf(
        "%s failover: %d timed checks, %d slower than %s, slowest %d ms%n",
        getClass().getSimpleName(), fleet.timed.get(), fleet.slow.get(), deadline,
        fleet.maxNanos.get() / 1_000_000);
    assertThat(fleet.slow.get()).isLessThanOrEqualTo(fleet.timed.get() / 100);
    assertThat(victimChecks).isPositive();
    // FAIL_CLOSE: its prefetches for the dead master's keys failed and granted nothing; whether a
    // check was denied depends on whether its pool ran dry before the promotion (the pools hold
    // up to a second of demand), so the denials are reported, not required.
    System.out.printf(
        "cluster failover: %d checks of the dead master's keys per server, FAIL_CLOSE denied %d,"
            + " calls %s%n",
        victimChecks, deniedOnVictimFailClose, fleet.servers.get(1).metrics().lines()
            .filter(l -> l.startsWith("offpath_redisquota_calls_total")).toList());
    // FAIL_CLOSE as documented: nothing passed without cover, only tokens Redis granted (plus
    // the optimistic overshoot, what Redis refused of them).
    assertThat(fleet.metric(1, "offpath_redisquota_pool_fail_open_passes_total")).isZero();
    assertThat(fleet.metric(1, "offpath_redisquota_checks_total", "result", "pass"))
        .isLessThanOrEqualTo(
            fleet.metric(1, "offpath_redisquota_pool_granted_tokens_total")
                + fleet.metric(1, "offpath_redisquota_pool_overshoot_tokens_total"));
    assertThat(fleet.metric(1, "offpath_redisquota_pool_failures_total")).isPositive();
    assertThat(deniedElsewhere).as("denials on the live masters' keys").isZero();
    // After the failover both servers account on the promoted replica again: the victim's keys
    // are exhausted at the limit, and the new master's counters never pass it. FAIL_OPEN keeps
    // granting until its fail-open validity (1 s) and the client's next topology refresh have
    // passed, so the bound here is time, not a number of checks.
    for (String u : onVictim) {
      for (int s = 0; s < 2; s++) {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (fleet.check(s, u, Duration.ofSeconds(2)) != RESOURCE_EXHAUSTED) {
          assertThat(System.nanoTime())
              .as("checks of %s on server %s enforced again after the failover", u, s)
              .isLessThan(until);
          Thread.sleep(2);
        }
      }
      String count = cluster.get(RedisQuotaFleet.key(u, "FIXED_WINDOW"));
      assertThat(count).isNotNull();
      assertThat(Long.parseLong(count)).isLessThanOrEqualTo(limit);
    }
    assertThat(cluster.masterOf(RedisQuotaFleet.key(onVictim.get(0), "FIXED_WINDOW")))
        .isNotSameAs(victim);
    for (int s = 0; s < 2; s++) {
      assertThat(fleet.metric(s, "offpath_redisquota_failovers_total")).as("failovers seen")
          .isGreaterThanOrEqualTo(1);
    }
    assertThat(fleet.metric(0, "offpath_redisquota_pool_fail_open_passes_total")).isPositive();
    assertThat(fleet.metric(1, "offpath_redisquota_pool_failures_total")).isPositive();
  }

  private static boolean promoted(RedisProcess victim) throws Exception {
    for (Map.Entry<Integer, String> e : cluster.roles().entrySet()) {
      if (e.getKey() == victim.port()) {
        return e.getValue().equals("failed") && cluster.masters().size() == 3;
      }
    }
    return false;
  }
}
