package dev.offpath.server.admin;

import static java.util.Objects.requireNonNull;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.function.Supplier;

/**
 * Reads ext_authz's Check latency for {@link LiveStats}: the buckets of {@code
 * grpc_server_handling_seconds{grpc_service="envoy.service.auth.v3.Authorization",
 * grpc_method="Check"}}, the histogram {@code /metrics} serves. Called once a second.
 */
public final class CheckLatency implements Supplier<LiveStats.Histogram> {

  static final String METRIC = "grpc_server_handling_seconds";
  static final String SERVICE = "envoy.service.auth.v3.Authorization";

  private final PrometheusRegistry registry;

  public CheckLatency(PrometheusRegistry registry) {
    this.registry = requireNonNull(registry, "registry");
  }

  @Override
  public LiveStats.Histogram get() {
    for (MetricSnapshot m : registry.scrape(METRIC::equals)) {
      if (!(m instanceof HistogramSnapshot histogram)) {
        continue;
      }
      for (HistogramDataPointSnapshot p : histogram.getDataPoints()) {
        if (!"Check".equals(p.getLabels().get("grpc_method"))
            || !SERVICE.equals(p.getLabels().get("grpc_service"))
            || !p.hasClassicHistogramData()) {
          continue;
        }
        ClassicHistogramBuckets buckets = p.getClassicBuckets();
        double[] bounds = new double[buckets.size()];
        long[] counts = new long[buckets.size()];
        for (int i = 0; i < bounds.length; i++) {
          bounds[i] = buckets.getUpperBound(i);
          counts[i] = buckets.getCount(i);
        }
        return new LiveStats.Histogram(bounds, counts);
      }
    }
    return LiveStats.Histogram.EMPTY;
  }
}
