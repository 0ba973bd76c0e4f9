package dev.offpath.adapters.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.adapters.prometheus.MetricInfo.Kind;
import dev.offpath.adapters.prometheus.PrometheusConfig.Expiry;
import dev.offpath.adapters.testing.Samples;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.Params;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusFactoryTest {

  private final PrometheusFactory factory = new PrometheusFactory();

  private static final List<String> ISTIO_LABELS =
      List.of(
          "reporter",
          "source_app",
          "source_principal",
          "source_workload",
          "source_workload_namespace",
          "source_version",
          "destination_app",
          "destination_principal",
          "destination_workload",
          "destination_workload_namespace",
          "destination_version",
          "destination_service",
          "destination_service_name",
          "destination_service_namespace",
          "request_protocol",
          "response_code",
          "connection_security_policy");

  private String error(Map<String, ?> params) {
    try {
      factory.parse(Params.of(params));
    } catch (AdapterConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected an error for " + params);
  }

  private static Map<String, Object> metric(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", "m");
    m.put("instanceName", "m.metric.ns");
    m.put("kind", "COUNTER");
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void installed() {
    assertThat(AdapterRegistry.installed().find("prometheus"))
        .isInstanceOf(PrometheusFactory.class);
    assertThat(factory.templates()).containsExactly("metric");
  }

  @Test
  void istio10DefaultHandlerParses() throws Exception {
    Map<String, Object> spec =
        Samples.handlerParams("../istio-1.0-mixer-config.yaml", "prometheus").get(0);
    PrometheusConfig config = factory.parse(Params.of(spec));

    // Mixer kept series forever; Offpath expires idle ones by default and bounds each metric.
    assertThat(config.expiry()).isEqualTo(PrometheusConfig.DEFAULT_EXPIRY);
    assertThat(config.maxSeriesPerMetric()).isEqualTo(10_000);
    assertThat(config.metrics())
        .extracting(MetricInfo::name)
        .containsExactly(
            "istio_requests_total",
            "istio_request_duration_seconds",
            "istio_request_bytes",
            "istio_response_bytes",
            "istio_tcp_sent_bytes_total",
            "istio_tcp_received_bytes_total");
    MetricInfo requests = config.metrics().get(0);
    assertThat(requests)
        .isEqualTo(
            new MetricInfo(
                "requestcount.metric.istio-system",
                "istio_requests_total",
                "istio_requests_total",
                Kind.COUNTER,
                ISTIO_LABELS,
                List.of()));
    assertThat(config.metrics().get(1).buckets())
        .containsExactly(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0);
    // exponentialBuckets {numFiniteBuckets: 8, scale: 1, growthFactor: 10}: 9 bounds, 1 to 1e8.
    assertThat(config.metrics().get(2).buckets())
        .containsExactly(1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8);
  }

  @Test
  void istio11DefaultHandlerParsesWithItsExpiryPolicy() throws Exception {
    Map<String, Object> spec =
        Samples.handlerParams("../istio-1.1-mixer-config.yaml", "prometheus").get(0);
    PrometheusConfig config = factory.parse(Params.of(spec));

    assertThat(config.expiry())
        .isEqualTo(new Expiry(Duration.ofMinutes(10), Duration.ofMinutes(5)));
    assertThat(config.metrics()).hasSize(8);
  }

  @Test
  void linearBucketsHaveNumFiniteBucketsPlusOneBounds() throws Exception {
    PrometheusConfig config =
        factory.parse(
            Params.of(
                Map.of(
                    "metrics",
                    List.of(
                        metric(
                            "kind", "DISTRIBUTION",
                            "buckets",
                                Map.of(
                                    "linearBuckets",
                                    Map.of("numFiniteBuckets", 3, "width", 0.5, "offset", 1)))))));

    assertThat(config.metrics().get(0).buckets()).containsExactly(1.0, 1.5, 2.0, 2.5);
  }

  @Test
  void namesFollowMixer() throws Exception {
    PrometheusConfig config =
        factory.parse(
            Params.of(
                Map.of(
                    "metrics",
                    List.of(
                        metric("name", "", "instanceName", "a-b.metric.ns", "namespace", "my.ns"),
                        metric(
                            "name", "/x/y z",
                            "instanceName", "b",
                            "description", "the y",
                            "kind", "GAUGE",
                            "label_names", List.of("a.b", "c-d"))))));

    assertThat(config.metrics().get(0).name()).isEqualTo("my_ns_ab_metric_ns");
    assertThat(config.metrics().get(0).help()).isEqualTo("my_ns_ab_metric_ns");
    assertThat(config.metrics().get(1))
        .isEqualTo(
            new MetricInfo("b", "istio_x_y_z", "the y", Kind.GAUGE, List.of("a_b", "cd"), List.of()));
  }

  @Test
  void distributionWithoutBucketsGetsPrometheusDefaults() throws Exception {
    PrometheusConfig config =
        factory.parse(Params.of(Map.of("metrics", List.of(metric("kind", "DISTRIBUTION")))));

    assertThat(config.metrics().get(0).buckets()).isEqualTo(PrometheusFactory.DEFAULT_BUCKETS);
  }

  @Test
  void errorsNameTheParamAndWhatWasExpected() {
    assertThat(error(Map.of("metrics", List.of(Map.of("name", "m", "instanceName", "i")))))
        .isEqualTo("metrics[0].kind: missing (expected: one of GAUGE, COUNTER, DISTRIBUTION)");
    assertThat(error(Map.of("metrics", List.of(metric("kind", "HISTOGRAM")))))
        .isEqualTo("metrics[0].kind: HISTOGRAM (expected: one of GAUGE, COUNTER, DISTRIBUTION)");
    assertThat(error(Map.of("metrics", List.of(metric("instanceName", "")))))
        .isEqualTo("metrics[0].instanceName: missing (expected: a non-empty string)");
    assertThat(
            error(
                Map.of(
                    "metrics",
                    List.of(
                        metric(
                            "kind",
                            "DISTRIBUTION",
                            "buckets",
                            Map.of("explicitBuckets", Map.of("bounds", List.of(1, 0.5))))))))
        .isEqualTo("metrics[0].buckets.explicitBuckets.bounds[1]: 0.5 (expected: > 1.0)");
    assertThat(
            error(
                Map.of(
                    "metrics",
                    List.of(
                        metric(
                            "kind",
                            "DISTRIBUTION",
                            "buckets",
                            Map.of(
                                "explicitBuckets", Map.of("bounds", List.of(1)),
                                "linearBuckets", Map.of("numFiniteBuckets", 1, "width", 1)))))))
        .isEqualTo(
            "metrics[0].buckets: expected exactly one of explicitBuckets, linearBuckets,"
                + " exponentialBuckets (found 2)");
    assertThat(
            error(
                Map.of(
                    "metrics",
                    List.of(
                        metric(
                            "kind",
                            "DISTRIBUTION",
                            "buckets",
                            Map.of(
                                "exponentialBuckets",
                                Map.of("numFiniteBuckets", 2, "scale", 1, "growthFactor", 1)))))))
        .isEqualTo("metrics[0].buckets.exponentialBuckets.growthFactor: 1.0 (expected: > 1)");
    assertThat(error(Map.of("metrics", List.of(metric("buckets", Map.of())))))
        .isEqualTo("metrics[0].buckets: only a DISTRIBUTION has buckets (kind: COUNTER)");
    assertThat(error(Map.of("metrics", List.of(metric(), metric("name", "n")))))
        .isEqualTo("metrics[1].instanceName: m.metric.ns (expected: one metric per instance)");
    assertThat(error(Map.of("metrics", List.of(metric("labelNames", List.of("a", "a"))))))
        .isEqualTo("metrics[0].labelNames[1]: a (expected: unique label names)");
    assertThat(
            error(
                Map.of("metrics", List.of(metric("kind", "DISTRIBUTION", "labelNames", List.of("le"))))))
        .isEqualTo("metrics[0].labelNames[0]: le (expected: a label name)");
    assertThat(error(Map.of("metrics", List.of(metric("name", "x_bucket", "kind", "GAUGE")))))
        .startsWith("metrics[0]: metric istio_x_bucket: ");
    assertThat(error(Map.of("metricsExpirationPolicy", Map.of("metricsExpiryDuration", "0s"))))
        .isEqualTo("metricsExpirationPolicy.metricsExpiryDuration: 0s (expected: a duration > 0)");
    assertThat(error(Map.of("metrics", List.of(metric("colour", "red")))))
        .isEqualTo("metrics[0].colour: unknown param");
  }
}
