package dev.offpath.adapters.memquota;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.adapters.memquota.MemQuotaConfig.Quota;
import dev.offpath.adapters.memquota.MemQuotaConfig.QuotaOverride;
import dev.offpath.adapters.testing.Samples;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.Params;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemQuotaFactoryTest {

  private final MemQuotaFactory factory = new MemQuotaFactory();

  private String error(Map<String, ?> params) {
    try {
      factory.parse(Params.of(params));
    } catch (AdapterConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected an error for " + params);
  }

  private static Map<String, Object> quota(Object... kv) {
    java.util.LinkedHashMap<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("name", "q.quota.ns");
    m.put("maxAmount", 10);
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void installed() {
    assertThat(AdapterRegistry.installed().find("memquota")).isInstanceOf(MemQuotaFactory.class);
    assertThat(factory.templates()).containsExactly("quota");
  }

  @Test
  void bookinfoProductpageSample() throws Exception {
    List<Map<String, Object>> specs =
        Samples.handlerParams("mixer-rule-productpage-ratelimit.yaml", "memquota");
    MemQuotaConfig config = factory.parse(Params.of(specs.get(0)));
    assertThat(config)
        .isEqualTo(
            new MemQuotaConfig(
                List.of(
                    new Quota(
                        "requestcount.quota.istio-system",
                        500,
                        Duration.ofSeconds(1),
                        List.of(
                            new QuotaOverride(
                                Map.of("destination", "reviews"), 1, Duration.ofSeconds(5)),
                            new QuotaOverride(
                                Map.of("destination", "productpage", "source", "10.28.11.20"),
                                500,
                                Duration.ofSeconds(1)),
                            new QuotaOverride(
                                Map.of("destination", "productpage"), 2, Duration.ofSeconds(5))))),
                Duration.ofSeconds(1),
                MemQuotaFactory.DEFAULT_MAX_BUCKETS,
                MemQuotaFactory.DEFAULT_IDLE_BUCKET_TIMEOUT));
  }

  @Test
  void bookinfoRatingsSampleParses() throws Exception {
    Map<String, Object> spec =
        Samples.handlerParams("mixer-rule-ratings-ratelimit.yaml", "memquota").get(0);
    assertThat(factory.parse(Params.of(spec)).quotas().get(0).overrides()).hasSize(2);
  }

  @Test
  void defaults() throws Exception {
    MemQuotaConfig config =
        factory.parse(
            Params.of(
                Map.of("quotas", List.of(quota("overrides", List.of(Map.of("maxAmount", 0)))))));
    Quota q = config.quotas().get(0);
    assertThat(q.validDuration()).isEqualTo(Duration.ZERO);
    assertThat(q.overrides().get(0)).isEqualTo(new QuotaOverride(Map.of(), 0, Duration.ZERO));
    assertThat(config.minDeduplicationDuration()).isEqualTo(Duration.ofSeconds(1));
    assertThat(factory.parse(Params.of(Map.of())).quotas()).isEmpty();
  }

  @Test
  void validationErrors() {
    assertThat(error(Map.of("quotas", List.of(quota("maxAmount", -1)))))
        .isEqualTo("quotas[0].maxAmount: -1 (expected: > 0)");
    assertThat(error(Map.of("quotas", List.of(quota("maxAmount", 0)))))
        .isEqualTo("quotas[0].maxAmount: 0 (expected: > 0)");
    assertThat(error(Map.of("quotas", List.of(Map.of("name", "a")))))
        .isEqualTo("quotas[0].maxAmount: missing (expected: > 0)");
    assertThat(error(Map.of("quotas", List.of(Map.of("maxAmount", 1)))))
        .isEqualTo("quotas[0].name: missing (expected: a non-empty string)");
    assertThat(error(Map.of("quotas", List.of(quota(), quota()))))
        .isEqualTo("quotas[1].name: q.quota.ns (expected: a name no other quota uses)");
    assertThat(error(Map.of("quotas", List.of(quota("validDuration", "-2s")))))
        .isEqualTo("quotas[0].validDuration: -2s (expected: >= 0)");
    assertThat(error(Map.of("quotas", List.of(quota("validDuration", "often")))))
        .isEqualTo(
            "quotas[0].validDuration: often (expected: a duration such as 10ms, 1.5s or 1m)");
    assertThat(
            error(
                Map.of(
                    "quotas",
                    List.of(
                        quota(
                            "overrides",
                            List.of(
                                Map.of("maxAmount", 1),
                                Map.of("dimensions", Map.of("a", "b"), "maxAmount", -3)))))))
        .isEqualTo("quotas[0].overrides[1].maxAmount: -3 (expected: >= 0)");
    assertThat(
            error(
                Map.of(
                    "quotas",
                    List.of(quota("overrides", List.of(Map.of("dimensions", Map.of())))))))
        .isEqualTo("quotas[0].overrides[0].maxAmount: missing (expected: >= 0)");
    assertThat(
            error(
                Map.of(
                    "quotas",
                    List.of(
                        quota(
                            "overrides", List.of(Map.of("maxAmount", 1, "dimension", Map.of())))))))
        .isEqualTo("quotas[0].overrides[0].dimension: unknown param");
    assertThat(error(Map.of("quotas", List.of(quota("maxAmmount", 3)))))
        .isEqualTo("quotas[0].maxAmmount: unknown param");
    assertThat(error(Map.of("quotas", "none"))).isEqualTo("quotas: expected a list");
    assertThat(error(Map.of("minDeduplicationDuration", "0s")))
        .isEqualTo("minDeduplicationDuration: 0s (expected: > 0)");
    assertThat(error(Map.of("min_deduplication_duration", "-1s")))
        .isEqualTo("minDeduplicationDuration: -1s (expected: > 0)");
  }
}
