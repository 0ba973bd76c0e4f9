package dev.offpath.adapters.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.adapters.prometheus.MetricInfo.Kind;
import dev.offpath.adapters.prometheus.PrometheusConfig.Expiry;
import dev.offpath.adapters.testing.TestEnvironment;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.InstanceFields;
import dev.offpath.core.adapter.ReportHandler;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PrometheusHandlerTest {

  private final TestEnvironment env = new TestEnvironment();
  private final PrometheusFactory factory = new PrometheusFactory();

  private static final MetricInfo REQUESTS =
      new MetricInfo(
          "requestcount.metric.istio-system",
          "istio_requests_total",
          "requests",
          Kind.COUNTER,
          List.of("response_code", "destination_service"),
          List.of());
  private static final MetricInfo DURATION =
      new MetricInfo(
          "requestduration.metric.istio-system",
          "istio_request_duration_seconds",
          "durations",
          Kind.DISTRIBUTION,
          List.of("response_code"),
          List.of(0.1, 1.0));
  private static final MetricInfo INFLIGHT =
      new MetricInfo("inflight.metric.istio-system", "istio_inflight", "g", Kind.GAUGE, List.of(),
          List.of());

  @AfterEach
  void close() {
    env.close();
  }

  private ReportHandler handler(@Nullable Expiry expiry, MetricInfo... metrics) {
    return (ReportHandler) factory.create(new PrometheusConfig(List.of(metrics), expiry), env);
  }

  private static Instance metric(String name, Object value, Object... dimensions) {
    Map<String, Object> fields = new HashMap<>();
    fields.put("value", value);
    for (int i = 0; i < dimensions.length; i += 2) {
      fields.put("dimensions." + dimensions[i], dimensions[i + 1]);
    }
    return new Instance(name, "metric", fields);
  }

  private String scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new PrometheusTextFormatWriter(false).write(out, factory.registry().scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void countersGaugesAndHistogramsRecordTheirInstances() throws Exception {
    ReportHandler h = handler(null, REQUESTS, DURATION, INFLIGHT);

    h.report(
        List.of(
            metric(REQUESTS.instanceName(), 1L, "response_code", 200L, "destination_service", "a"),
            metric(REQUESTS.instanceName(), 1L, "response_code", 200L, "destination_service", "a"),
            metric(REQUESTS.instanceName(), 2L, "response_code", 503L, "ignored", "x"),
            metric(DURATION.instanceName(), Duration.ofMillis(50), "response_code", 200L),
            metric(DURATION.instanceName(), Duration.ofMillis(500), "response_code", 200L),
            metric(INFLIGHT.instanceName(), "7.5"),
            metric(INFLIGHT.instanceName(), 3.0),
            metric("unknown.metric.ns", 1L)));

    assertThat(scrape())
        .contains(
            "# HELP istio_requests_total requests\n",
            "# TYPE istio_requests_total counter\n",
            "istio_requests_total{destination_service=\"a\",response_code=\"200\"} 2.0\n",
            "istio_requests_total{destination_service=\"\",response_code=\"503\"} 2.0\n",
            "istio_request_duration_seconds_bucket{response_code=\"200\",le=\"0.1\"} 1\n",
            "istio_request_duration_seconds_bucket{response_code=\"200\",le=\"1.0\"} 2\n",
            "istio_request_duration_seconds_bucket{response_code=\"200\",le=\"+Inf\"} 2\n",
            "istio_request_duration_seconds_sum{response_code=\"200\"} 0.55\n",
            "istio_inflight 3.0\n");
  }

  /** The same instance with positional fields, in the given field order (absent names: null). */
  private static Instance positional(Instance instance, List<String> order) {
    Object[] values = new Object[order.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = instance.fields().get(order.get(i));
    }
    return new Instance(
        instance.name(),
        instance.template(),
        new InstanceFields(new InstanceFields.Layout(order), values));
  }

  @Test
  void positionalFieldsRecordExactlyAsMapFields() throws Exception {
    List<Instance> instances =
        List.of(
            metric(REQUESTS.instanceName(), 1L, "response_code", 200L, "destination_service", "a"),
            metric(REQUESTS.instanceName(), 2L, "response_code", 503L),
            metric(REQUESTS.instanceName(), "x", "response_code", 404L),
            metric(DURATION.instanceName(), Duration.ofMillis(50), "response_code", 200L),
            metric(INFLIGHT.instanceName(), 3.0));
    ReportHandler byName = handler(null, REQUESTS, DURATION, INFLIGHT);
    byName.report(instances);
    byName.report(instances);
    String expected = scrape();

    PrometheusFactory other = new PrometheusFactory();
    ReportHandler byPosition =
        (ReportHandler)
            other.create(new PrometheusConfig(List.of(REQUESTS, DURATION, INFLIGHT), null), env);
    List<String> order =
        List.of("dimensions.destination_service", "value", "dimensions.extra", "dimensions.response_code");
    // A second layout (a reload's new plan) reorders the fields: positions are resolved again.
    List<String> reordered =
        List.of("dimensions.response_code", "dimensions.destination_service", "value");
    byPosition.report(instances.stream().map(i -> positional(i, order)).toList());
    byPosition.report(instances.stream().map(i -> positional(i, reordered)).toList());

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new PrometheusTextFormatWriter(false).write(out, other.registry().scrape());
    assertThat(out.toString(StandardCharsets.UTF_8))
        .isEqualTo(expected)
        .contains("istio_requests_total{destination_service=\"a\",response_code=\"200\"} 2.0\n")
        .contains("istio_requests_total{destination_service=\"\",response_code=\"503\"} 4.0\n")
        .doesNotContain("404");
  }

  @Test
  void badValuesAreSkipped() throws Exception {
    ReportHandler h = handler(null, REQUESTS);

    h.report(
        List.of(
            metric(REQUESTS.instanceName(), "many", "response_code", 200L),
            metric(REQUESTS.instanceName(), -1L, "response_code", 200L),
            metric(REQUESTS.instanceName(), true, "response_code", 200L),
            metric(REQUESTS.instanceName(), 1L, "response_code", 200L)));

    assertThat(scrape())
        .contains("istio_requests_total{destination_service=\"\",response_code=\"200\"} 1.0\n");
  }

  @Test
  void aReloadWithTheSameDefinitionKeepsTheCounts() throws Exception {
    ReportHandler first = handler(null, REQUESTS);
    first.report(List.of(metric(REQUESTS.instanceName(), 1L, "response_code", 200L)));

    // The new config's handler is created before the old one is closed, as on a reload.
    ReportHandler second = handler(null, REQUESTS, INFLIGHT);
    first.close();
    second.report(List.of(metric(REQUESTS.instanceName(), 1L, "response_code", 200L)));

    assertThat(scrape())
        .contains("istio_requests_total{destination_service=\"\",response_code=\"200\"} 2.0\n");
  }

  @Test
  void aRedefinedMetricRestartsAndAnUnusedOneIsUnregistered() throws Exception {
    ReportHandler first = handler(null, REQUESTS, INFLIGHT);
    first.report(List.of(metric(REQUESTS.instanceName(), 1L, "response_code", 200L)));

    MetricInfo relabelled =
        new MetricInfo(
            REQUESTS.instanceName(), REQUESTS.name(), "requests", Kind.COUNTER,
            List.of("response_code"), List.of());
    ReportHandler second = handler(null, relabelled);
    first.close();
    second.report(List.of(metric(REQUESTS.instanceName(), 1L, "response_code", 200L)));

    String text = scrape();
    assertThat(text).contains("istio_requests_total{response_code=\"200\"} 1.0\n");
    assertThat(text).doesNotContain("destination_service").doesNotContain("istio_inflight");

    second.close();
    assertThat(factory.store().metrics()).isEmpty();
  }

  @Test
  void idleSeriesExpire() throws Exception {
    ReportHandler h =
        handler(new Expiry(Duration.ofMinutes(10), Duration.ofMinutes(1)), REQUESTS);
    h.report(List.of(metric(REQUESTS.instanceName(), 1L, "response_code", 200L)));
    env.ticker.advance(Duration.ofMinutes(6));
    h.report(List.of(metric(REQUESTS.instanceName(), 1L, "response_code", 404L)));

    env.ticker.advance(Duration.ofMinutes(5));
    env.scheduler.runScheduled();

    assertThat(scrape())
        .doesNotContain("response_code=\"200\"")
        .contains("istio_requests_total{destination_service=\"\",response_code=\"404\"} 1.0\n");
    assertThat(factory.store().metrics().get("istio_requests").seriesCount()).isEqualTo(1);

    // A recreated series starts from zero.
    h.report(List.of(metric(REQUESTS.instanceName(), 1L, "response_code", 200L)));
    assertThat(scrape())
        .contains("istio_requests_total{destination_service=\"\",response_code=\"200\"} 1.0\n");
    h.close();
    assertThat(env.scheduler.pending()).isZero();
  }

  @Test
  void aMillionInventedLabelValuesCreateAtMostTheLimitAndTheRestAreCounted() throws Exception {
    PrometheusHandler h =
        (PrometheusHandler) factory.create(new PrometheusConfig(List.of(REQUESTS), null, 10_000), env);
    List<Instance> batch = new java.util.ArrayList<>(1000);
    for (int i = 0; i < 1_000_000; i++) {
      batch.add(metric(REQUESTS.instanceName(), 1L, "response_code", 200L, "destination_service", "svc-" + i));
      if (batch.size() == 1000) {
        h.report(batch);
        batch.clear();
      }
    }
    java.util.Map<String, Double> metrics = new java.util.HashMap<>();
    h.collect(
        new dev.offpath.core.adapter.MeteredHandler.MetricSink() {
          @Override
          public void counter(String name, String help, double value, String... labels) {
            metrics.put(name, value);
          }

          @Override
          public void gauge(String name, String help, double value, String... labels) {
            metrics.put(name, value);
          }
        });
    assertThat(metrics).containsEntry("offpath_prometheus_series", 10_000.0).containsEntry("offpath_prometheus_series_refused", 990_000.0);
    // The client library's own data points: exactly the series created.
    long points =
        factory.registry().scrape().stream()
            .filter(m -> m.getMetadata().getName().equals("istio_requests"))
            .mapToLong(m -> m.getDataPoints().size())
            .sum();
    assertThat(points).isEqualTo(10_000);
    // A series that exists keeps counting.
    h.report(List.of(metric(REQUESTS.instanceName(), 5L, "response_code", 200L, "destination_service", "svc-0")));
    assertThat(scrape()).contains("istio_requests_total{destination_service=\"svc-0\",response_code=\"200\"} 6.0");
    h.close();
  }
}
