package dev.offpath.adapters.redisquota;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.adapters.redisquota.RedisQuotaConfig.Algorithm;
import dev.offpath.adapters.redisquota.RedisQuotaConfig.Quota;
import dev.offpath.adapters.redisquota.RedisQuotaConfig.QuotaOverride;
import dev.offpath.cache.quota.FailurePolicy;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.Params;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
                "127.0.0.1:6379",
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
    assertThat(error(noUrl)).isEqualTo("redisServerUrl: missing (expected: host:port)");
    assertThat(error(params("redisServerUrl", "localhost", "quotas", List.of(quota()))))
        .isEqualTo("redisServerUrl: localhost (expected: host:port or redis://host:port)");
    assertThat(error(params("redisServerUrl", "h:99999", "quotas", List.of(quota()))))
        .isEqualTo("redisServerUrl: h:99999 (expected: host:port or redis://host:port)");
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
    assertThat(RedisEndpoint.parse("127.0.0.1:6380").getPort()).isEqualTo(6380);
    assertThat(RedisEndpoint.parse("[::1]:6380").getHost()).isEqualTo("::1");
    assertThat(RedisEndpoint.parse("redis://127.0.0.1:6381/2").getDatabase()).isEqualTo(2);
  }
}
