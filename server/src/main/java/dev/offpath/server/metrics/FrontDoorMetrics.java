package dev.offpath.server.metrics;

import dev.offpath.controlplane.ControlPlane;
import dev.offpath.extproc.ExtProcStats;
import dev.offpath.extproc.StreamError;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * ext_proc and xDS counters, read at scrape time from the front doors' own stats (nothing is added
 * to the request path): {@code offpath_extproc_stream_errors_total{reason}} (one label value per
 * {@link StreamError}, all present from the start), {@code offpath_extproc_reports_total{accepted}}
 * and {@code offpath_xds_nacks_total}.
 */
public final class FrontDoorMetrics {

  private FrontDoorMetrics() {}

  public static void register(ExtProcStats stats, ControlPlane controlPlane, PrometheusRegistry registry) {
    CounterWithCallback.builder()
        .name("offpath_extproc_stream_errors")
        .help("ext_proc streams that ended otherwise than as one whole HTTP request, by reason.")
        .labelNames("reason")
        .callback(
            cb -> {
              for (StreamError e : StreamError.values()) {
                cb.call(stats.errors(e), e.label());
              }
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("offpath_extproc_reports")
        .help("Requests ext_proc handed to the telemetry pipeline, by whether it accepted them.")
        .labelNames("accepted")
        .callback(
            cb -> {
              cb.call(stats.reportsAccepted(), "true");
              cb.call(stats.reportsRefused(), "false");
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("offpath_xds_nacks")
        .help("xDS responses Envoy rejected (NACK).")
        .callback(cb -> cb.call(controlPlane.nacks()))
        .register(registry);
  }
}
