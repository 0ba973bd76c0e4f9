package dev.offpath.adapters.redisquota;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.adapters.redisquota.RedisQuotaConfig.Algorithm;
import dev.offpath.adapters.redisquota.RedisQuotaConfig.Quota;
import dev.offpath.adapters.redisquota.RedisQuotaConfig.QuotaOverride;
import dev.offpath.cache.quota.FailurePolicy;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.Params;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisQuotaFactoryTest {

  private final RedisQuotaFactory factory = new RedisQuotaFactory();

  private static Map<String, Object> params(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("redisServerUrl", "127.0.0.1:6379");
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static Map<String, Object> quota(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", "requestcount.quota.istio-system");
    m.put("maxAmount", 500);
    m.put("validDuration", "1s");
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private String error(Map<String, ?> params) {
    try {
      factory.parse(Params.of(params));
    } catch (AdapterConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected an error for " + params);
  }

  @Test
  void installed() {
    assertThat(AdapterRegistry.installed().find("redisquota"))
        .isInstanceOf(RedisQuotaFactory.class);
    assertThat(factory.templates()).containsExactly("quota");
  }

  @Test
  void istioSampleParses() throws Exception {
    // The shape of Istio 1.1's redisquota sample (bookinfo rate limit with a rolling window).
    RedisQuotaConfig config =
        factory.parse(
            Params.of(
                params(
                    "connectionPoolSize", 10,
                    "quotas",
                        List.of(
                            quota(
                                "bucketDuration", "500ms",
                                "rateLimitAlgorithm", "ROLLING_WINDOW",
                                "overrides",
                                    List.of(
                                        Map.of(
                                            "dimensions", Map.of("destination", "reviews"),
                                            "maxAmount", 1),
                                        Map.of(
                                            "dimensions", Map.of("destination", "productpage"),
                                            "maxAmount", 2)))))));
    assertThat(config)
        .isEqualTo(
            new RedisQuotaConfig(
                RedisEndpoint.parse("127.0.0.1:6379"),
                null,
                10,
                List.of(
                    new Quota(
                        "requestcount.quota.istio-system",
                        500,
                        Duration.ofSeconds(1),
                        Duration.ofMillis(500),
                        Algorithm.ROLLING_WINDOW,
                        List.of(
                            new QuotaOverride(Map.of("destination", "reviews"), 1),
                            new QuotaOverride(Map.of("destination", "productpage"), 2)))),
                FailurePolicy.FAIL_OPEN,
                Duration.ofSeconds(1),
                Duration.ofMillis(50),
                5,
                Duration.ofSeconds(1)));
  }

  @Test
  void defaultsAndOffpathParams() throws Exception {
    RedisQuotaConfig defaults = factory.parse(Params.of(params("quotas", List.of(quota()))));
    assertThat(defaults.connectionPoolSize()).isEqualTo(1);
    assertThat(defaults.quotas().get(0).algorithm()).isEqualTo(Algorithm.FIXED_WINDOW);
    assertThat(defaults.failurePolicy()).isEqualTo(FailurePolicy.FAIL_OPEN);

    RedisQuotaConfig tuned =
        factory.parse(
            Params.of(
                params(
                    "quotas", List.of(quota()),
                    "failurePolicy", "FAIL_CLOSE",
                    "failOpenValidity", "2s",
                    "timeout", "20ms",
                    "circuitBreakerFailures", 3,
                    "circuitBreakerOpenDuration", "250ms")));
    assertThat(tuned.failurePolicy()).isEqualTo(FailurePolicy.FAIL_CLOSE);
    assertThat(tuned.failOpenValidity()).isEqualTo(Duration.ofSeconds(2));
    assertThat(tuned.timeout()).isEqualTo(Duration.ofMillis(20));
    assertThat(tuned.breakerFailures()).isEqualTo(3);
    assertThat(tuned.breakerOpenDuration()).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void mixersValidationRules() {
    assertThat(error(params("quotas", List.of(quota("validDuration", "0s")))))
        .isEqualTo("quotas[0].validDuration: 0s (expected: > 0)");
    assertThat(error(params("quotas", List.of(quota("validDuration", null)))))
        .isEqualTo("quotas[0].validDuration: missing (expected: > 0)");
    assertThat(error(params("quotas", List.of(quota("rateLimitAlgorithm", "ROLLING_WINDOW")))))
        .isEqualTo("quotas[0].bucketDuration: missing (expected: > 0 for ROLLING_WINDOW)");
    assertThat(
            error(
                params(
                    "quotas",
                    List.of(
                        quota(
                            "rateLimitAlgorithm", "ROLLING_WINDOW",
                            "bucketDuration", "1s")))))
        .isEqualTo(
            "quotas[0].validDuration: 1s (expected: longer than bucketDuration 1s for"
                + " ROLLING_WINDOW)");
    assertThat(
            error(
                params(
                    "quotas",
                    List.of(
                        quota(
                            "rateLimitAlgorithm", "ROLLING_WINDOW",
                            "validDuration", "1h",
                            "bucketDuration", "1ms")))))
        .isEqualTo("quotas[0].bucketDuration: 1ms (expected: at most 10000 buckets per validDuration)");
    assertThat(
            error(
                params(
                    "quotas",
                    List.of(
                        quota(
                            "overrides",
                            List.of(Map.of("dimensions", Map.of("a", "b"), "maxAmount", 0)))))))
        .isEqualTo("quotas[0].overrides[0].maxAmount: 0 (expected: > 0)");
    assertThat(
            error(
                params(
                    "quotas",
                    List.of(quota("overrides", List.of(Map.of("maxAmount", 3)))))))
        .isEqualTo("quotas[0].overrides[0].dimensions: empty (expected: at least one dimension)");
    assertThat(error(params("quotas", List.of(quota("maxAmount", -1)))))
        .isEqualTo("quotas[0].maxAmount: -1 (expected: > 0)");
    assertThat(error(params("quotas", List.of(quota(), quota()))))
        .isEqualTo(
            "quotas[1].name: requestcount.quota.istio-system (expected: a name no other quota"
                + " uses)");
    assertThat(error(params("quotas", List.of(quota("rateLimitAlgorithm", "LEAKY")))))
        .isEqualTo(
            "quotas[0].rateLimitAlgorithm: LEAKY (expected: one of FIXED_WINDOW, ROLLING_WINDOW)");
  }

  @Test
  void redisParams() {
    assertThat(error(params()))
        .isEqualTo("quotas: missing (expected: at least one quota)");
    Map<String, Object> noUrl = params("quotas", List.of(quota()));
    noUrl.remove("redisServerUrl");
    String forms = " (expected: " + RedisEndpoint.FORMS + ")";
    assertThat(error(noUrl)).isEqualTo("redisServerUrl: missing" + forms);
    assertThat(error(params("redisServerUrl", "localhost", "quotas", List.of(quota()))))
        .isEqualTo("redisServerUrl: missing :port" + forms);
    assertThat(error(params("redisServerUrl", "h:99999", "quotas", List.of(quota()))))
        .isEqualTo("redisServerUrl: port 99999 out of range" + forms);
    assertThat(error(params("connectionPoolSize", -1, "quotas", List.of(quota()))))
        .isEqualTo("connectionPoolSize: -1 (expected: 0 to 64)");
    assertThat(error(params("timeout", "0s", "quotas", List.of(quota()))))
        .isEqualTo("timeout: 0s (expected: > 0)");
    assertThat(error(params("failurePolicy", "MAYBE", "quotas", List.of(quota()))))
        .isEqualTo("failurePolicy: MAYBE (expected: one of FAIL_OPEN, FAIL_CLOSE)");
    assertThat(error(params("circuitBreakerFailures", 0, "quotas", List.of(quota()))))
        .isEqualTo("circuitBreakerFailures: 0 (expected: > 0)");
    assertThat(error(params("redisServerURL", "x", "quotas", List.of(quota()))))
        .isEqualTo("redisServerURL: unknown param");
  }

  @Test
  void endpoints() {
    RedisEndpoint plain = RedisEndpoint.parse("127.0.0.1:6380");
    assertThat(plain.mode()).isEqualTo(RedisEndpoint.Mode.STANDALONE);
    assertThat(plain.nodes()).containsExactly(new RedisEndpoint.Node("127.0.0.1", 6380));
    assertThat(RedisEndpoint.parse("[::1]:6380").nodes().get(0).host()).isEqualTo("::1");
    RedisEndpoint db = RedisEndpoint.parse("redis://127.0.0.1:6381/2");
    assertThat(db.database()).isEqualTo(2);
    assertThat(db.tls()).isFalse();
    assertThat(RedisEndpoint.parse("redis://redis.example").nodes().get(0).port()).isEqualTo(6379);

    RedisEndpoint tls = RedisEndpoint.parse("rediss://app:s3cr%40t@redis.example:6390");
    assertThat(tls.tls()).isTrue();
    assertThat(tls.username()).isEqualTo("app");
    assertThat(tls.password()).isEqualTo(new Secret("s3cr@t"));
    assertThat(tls.display()).isEqualTo("rediss://app:***@redis.example:6390");
    assertThat(tls.toString()).doesNotContain("s3cr");
    assertThat(RedisEndpoint.parse("redis://:pw@h:1").password()).isEqualTo(new Secret("pw"));
    // Lettuce's form: a lone user-info part is the password.
    assertThat(RedisEndpoint.parse("redis://pw@h:1").password()).isEqualTo(new Secret("pw"));

    RedisEndpoint sentinel =
        RedisEndpoint.parse("redis-sentinel://:pw@10.0.0.1,10.0.0.2:26380/1#mymaster");
    assertThat(sentinel.mode()).isEqualTo(RedisEndpoint.Mode.SENTINEL);
    assertThat(sentinel.nodes())
        .containsExactly(
            new RedisEndpoint.Node("10.0.0.1", 26379), new RedisEndpoint.Node("10.0.0.2", 26380));
    assertThat(sentinel.masterId()).isEqualTo("mymaster");
    assertThat(sentinel.database()).isEqualTo(1);
    assertThat(sentinel.display())
        .isEqualTo("redis-sentinel://:***@10.0.0.1:26379,10.0.0.2:26380/1#mymaster");

    RedisEndpoint cluster = RedisEndpoint.parse("rediss-cluster://a:7000,b:7001,[::1]:7002");
    assertThat(cluster.mode()).isEqualTo(RedisEndpoint.Mode.CLUSTER);
    assertThat(cluster.tls()).isTrue();
    assertThat(cluster.nodes()).hasSize(3);
    assertThat(cluster.display()).isEqualTo("rediss-cluster://a:7000,b:7001,[::1]:7002");
  }

  @Test
  void badEndpointsNameTheWrongPartAndNeverThePassword() {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("ftp://h:1", "unknown scheme 'ftp'");
    cases.put("redis://:hunter2@h:1,h:2", "several hosts need redis-sentinel:// or redis-cluster://");
    cases.put("redis-sentinel://:hunter2@h:1", "a redis-sentinel:// URL needs #masterId");
    cases.put("redis-sentinel://:hunter2@h:1#", "#masterId must be letters, digits, '.', '_' or '-'");
    cases.put("redis://:hunter2@h:1#m", "#masterId only in a redis-sentinel:// URL");
    cases.put("redis-cluster://:hunter2@h:1/3", "a Redis Cluster has database 0 only");
    cases.put("redis://:hunter2@h:1?timeout=1s",
        "query parameters are not supported (use the handler's params)");
    cases.put("redis://:hunter2@h:1/x", "database 'x' is not a number");
    cases.put("redis://:hunter2%zz@h:1", "bad %-escape in the password");
    cases.put("hunter2@h:1", "a password needs the form redis://:password@host:port");
    cases.put("redis://:hunter2@", "no host");
    cases.put("redis://:hunter2@::1:5", "an IPv6 host needs brackets: [host]:port");
    cases.put("redis://:hunter2@h:0", "port 0 out of range");
    cases.put("redis://:hunter2@h!:1", "bad host 'h!'");
    String forms = " (expected: " + RedisEndpoint.FORMS + ")";
    cases.forEach(
        (url, message) ->
            assertThat(error(params("redisServerUrl", url, "quotas", List.of(quota()))))
                .as(url)
                .isEqualTo("redisServerUrl: " + message + forms)
                .doesNotContain("hunter2"));
  }

  @Test
  void passwordFromAFileOrTheEnvironment(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("redis-password");
    Files.writeString(file, "from-file\n");
    RedisQuotaConfig fromFile =
        factory.parse(
            Params.of(
                params("redisPasswordFile", file.toString(), "quotas", List.of(quota()))));
    assertThat(fromFile.endpoint().password()).isEqualTo(new Secret("from-file"));
    assertThat(fromFile.toString()).doesNotContain("from-file");

    RedisQuotaFactory withEnv =
        new RedisQuotaFactory(name -> name.equals("REDIS_PASSWORD") ? "from-env" : null);
    RedisQuotaConfig fromEnv =
        withEnv.parse(
            Params.of(params("redisPasswordEnv", "REDIS_PASSWORD", "quotas", List.of(quota()))));
    assertThat(fromEnv.endpoint().password()).isEqualTo(new Secret("from-env"));
    assertThat(fromEnv.toString()).doesNotContain("from-env");

    assertThat(error(params("redisPasswordEnv", "NOT_SET_ANYWHERE_42", "quotas", List.of(quota()))))
        .isEqualTo("redisPasswordEnv: NOT_SET_ANYWHERE_42 is not set or empty");
    assertThat(error(params("redisPasswordEnv", "A-B", "quotas", List.of(quota()))))
        .isEqualTo("redisPasswordEnv: A-B (expected: an environment variable name)");
    Path missing = dir.resolve("missing");
    assertThat(error(params("redisPasswordFile", missing.toString(), "quotas", List.of(quota()))))
        .isEqualTo("redisPasswordFile: " + missing + ": cannot read (NoSuchFileException)");
    Path empty = dir.resolve("empty");
    Files.writeString(empty, "\n");
    assertThat(error(params("redisPasswordFile", empty.toString(), "quotas", List.of(quota()))))
        .isEqualTo("redisPasswordFile: " + empty + ": empty");
    Path twoLines = dir.resolve("two-lines");
    Files.writeString(twoLines, "secret-one\nsecret-two\n");
    assertThat(
            error(params("redisPasswordFile", twoLines.toString(), "quotas", List.of(quota()))))
        .isEqualTo("redisPasswordFile: " + twoLines + ": more than one line");
    Path big = dir.resolve("big");
    Files.writeString(big, "x".repeat(RedisQuotaFactory.MAX_PASSWORD_BYTES + 1));
    assertThat(error(params("redisPasswordFile", big.toString(), "quotas", List.of(quota()))))
        .isEqualTo("redisPasswordFile: " + big + ": longer than 4096 bytes");
    assertThat(
            error(
                params(
                    "redisServerUrl", "redis://:in-url@h:1",
                    "redisPasswordFile", file.toString(),
                    "quotas", List.of(quota()))))
        .isEqualTo(
            "redisPasswordFile: a second password (expected: the password in only one of"
                + " redisServerUrl, redisPasswordFile, redisPasswordEnv)")
        .doesNotContain("in-url");
  }

  @Test
  void caFileOnlyWithTls(@TempDir Path dir) throws Exception {
    Path ca = dir.resolve("ca.pem");
    Files.writeString(ca, "not checked at parse time");
    assertThat(
            factory
                .parse(
                    Params.of(
                        params(
                            "redisServerUrl", "rediss://h:1",
                            "redisCaFile", ca.toString(),
                            "quotas", List.of(quota()))))
                .caFile())
        .isEqualTo(ca);
    assertThat(error(params("redisCaFile", ca.toString(), "quotas", List.of(quota()))))
        .isEqualTo("redisCaFile: set for a URL without TLS (expected: a rediss URL)");
    assertThat(
            error(
                params(
                    "redisServerUrl", "rediss://h:1",
                    "redisCaFile", dir.toString(),
                    "quotas", List.of(quota()))))
        .isEqualTo("redisCaFile: " + dir + ": not a readable file");
  }
}
