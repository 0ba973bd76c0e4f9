package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.testing.RedisServer;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * redisquota end to end: Offpath servers on loopback sharing a real redis-server, checked through
 * real ext_authz stubs. Waits are bounded polls for a state, never timing assertions.
 */
class RedisQuotaEndToEndTest {

  private static final Duration AWAIT = Duration.ofSeconds(30);
  private static final int OK = 0;
  private static final int RESOURCE_EXHAUSTED = 8;

  @TempDir Path dir;
  private RedisServer redis;
  private final List<ServerHarness> servers = new ArrayList<>();

  @BeforeEach
  void startRedis() throws Exception {
    redis = RedisServer.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (ServerHarness s : servers) {
      s.close();
    }
    redis.close();
  }

  private Path config(int maxAmount, String failurePolicy) throws Exception {
    Path file = dir.resolve("quota-" + failurePolicy + ".yaml");
    Files.writeString(
        file,
        """
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: redis, namespace: istio-system}
        spec:
          compiledAdapter: redisquota
          params:
            redisServerUrl: %s
            failurePolicy: %s
            circuitBreakerOpenDuration: 100ms
            quotas:
            - name: requestcount.instance.istio-system
              maxAmount: %d
              validDuration: 60s
        """
            .formatted(redis.url(), failurePolicy, maxAmount)
            + RedisQuotaFleet.PER_USER_QUOTA);
    return file;
  }

  private ServerHarness server(Path config) throws Exception {
    ServerHarness s = ServerHarness.start(List.of(config));
    servers.add(s);
    return s;
  }

  private static int code(ServerHarness s, String user) {
    CheckResponse r = s.check("request.headers[x-user]", user);
    int code = r.getStatus().getCode();
    assertThat(code).as("check status").isIn(OK, RESOURCE_EXHAUSTED);
    return code;
  }

  private static void await(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  /** The sum of a metric's samples on {@code s}'s admin /metrics with the given labels. */
  private static double metric(ServerHarness s, String name, String... labels) throws Exception {
    return ServerHarness.sum(s.metrics(), name, labels);
  }

  /** Tokens a server's pools were granted (or passed optimistically) and did not pass yet. */
  private static double unspent(ServerHarness s) throws Exception {
    String metrics = s.metrics();
    return ServerHarness.sum(metrics, "offpath_redisquota_pool_granted_tokens_total")
        + ServerHarness.sum(metrics, "offpath_redisquota_pool_overshoot_tokens_total")
        - ServerHarness.sum(metrics, "offpath_redisquota_checks_total", "result", "pass");
  }

  @Test
  void twoInstancesSharingOneRedisEnforceOneGlobalLimit() throws Exception {
    Path config = config(40, "FAIL_CLOSE");
    ServerHarness a = server(config);
    ServerHarness b = server(config);
    int allowed = 0;
    for (int n = 0; n < 120; n++) {
      if (code(n % 3 == 2 ? b : a, "alice") == OK) {
        allowed++;
      }
    }
    // Spend what either instance still holds, until Redis has granted all 40 and every granted
    // token has passed a check (an answer in flight may still bring tokens to a pool that denied).
    int[] drained = {0, 0};
    await(
        "every granted token to be spent",
        () -> {
          if (metric(a, "offpath_redisquota_pool_prefetches_in_flight") > 0
              || metric(b, "offpath_redisquota_pool_prefetches_in_flight") > 0) {
            return false;
          }
          double unspentA = unspent(a);
          double unspentB = unspent(b);
          String counted =
              redis.get("offpath:quota:{requestcount.instance.istio-system:user=alice}:fixed");
          if (unspentA == 0 && unspentB == 0 && "40".equals(counted)) {
            return true;
          }
          ServerHarness s = unspentA > 0 ? a : unspentB > 0 ? b : drained[1]++ % 2 == 0 ? a : b;
          if (code(s, "alice") == OK) {
            drained[0]++;
          }
          return false;
        });
    allowed += drained[0];
    assertThat(redis.get("offpath:quota:{requestcount.instance.istio-system:user=alice}:fixed"))
        .isEqualTo("40");
    double overshoot =
        metric(a, "offpath_redisquota_pool_overshoot_tokens_total")
            + metric(b, "offpath_redisquota_pool_overshoot_tokens_total");
    double passes =
        metric(a, "offpath_redisquota_checks_total", "result", "pass")
            + metric(b, "offpath_redisquota_checks_total", "result", "pass");
    assertThat(passes).isEqualTo(allowed);
    // The global limit, plus what passed optimistically while a pool's prefetch was in flight:
    // at most one prefetch (10 tokens) per instance here.
    assertThat(allowed).isEqualTo(40 + (int) overshoot);
    assertThat(overshoot).isLessThanOrEqualTo(20);
    // Another user has a budget of its own.
    assertThat(code(b, "bob")).isEqualTo(OK);
  }

  @Test
  void failOpenKeepsAnsweringWhileRedisIsDeadAndEnforcesAgainWhenItIsBack() throws Exception {
    ServerHarness s = server(config(20, "FAIL_OPEN"));
    assertThat(code(s, "alice")).isEqualTo(OK);
    redis.stop();
    try {
      for (int n = 0; n < 100; n++) {
        assertThat(code(s, "alice")).as("check %s while Redis is dead", n).isEqualTo(OK);
      }
      await(
          "failed Redis calls on /metrics",
          () -> metric(s, "offpath_redisquota_pool_failures_total") > 0);
      assertThat(metric(s, "offpath_redisquota_pool_fail_open_passes_total")).isPositive();
    } finally {
      redis.restart();
    }
    // The restarted Redis is empty: the limit of 20 applies again from zero.
    await("quota to be enforced again", () -> code(s, "alice") == RESOURCE_EXHAUSTED);
    assertThat(metric(s, "offpath_redisquota_circuit_open")).isZero();
    assertThat(metric(s, "offpath_redisquota_connections")).isEqualTo(1);
    assertThat(metric(s, "offpath_redisquota_calls_total", "result", "ok")).isPositive();
  }

  @Test
  void failClosedDeniesWhileRedisIsDeadAndPassesWhenItIsBack() throws Exception {
    ServerHarness s = server(config(1_000_000, "FAIL_CLOSE"));
    assertThat(code(s, "alice")).isEqualTo(OK);
    redis.stop();
    try {
      await("denials while Redis is dead", () -> code(s, "alice") == RESOURCE_EXHAUSTED);
      for (int n = 0; n < 50; n++) {
        assertThat(code(s, "alice")).isEqualTo(RESOURCE_EXHAUSTED);
      }
      // Prefetches go out as checks come in, one per close wait (500 ms) while failing.
      await(
          "the circuit breaker to open",
          () ->
              code(s, "alice") == RESOURCE_EXHAUSTED
                  && metric(s, "offpath_redisquota_circuit_opened_total") > 0);
      assertThat(metric(s, "offpath_redisquota_calls_total", "result", "not_connected"))
          .isPositive();
    } finally {
      redis.restart();
    }
    await("checks to pass again", () -> code(s, "alice") == OK);
  }
}
