package dev.offpath.server.metrics;

import dev.offpath.accesslog.AccessLogService;
import dev.offpath.core.telemetry.DropReason;
import dev.offpath.core.telemetry.ReportPipeline;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.DoubleSupplier;

/**
 * The telemetry path's self-monitoring, read at scrape time from the report pipeline and the
 * access-log service (nothing is added to the ingest path). Mixer had no queue, so these are {@code
 * offpath_*}; the report dispatches themselves are {@code mixer_runtime_dispatch_count} with {@code
 * meshFunction} {@code metric} / {@code logentry}. At every scrape, {@code received == dispatched +
 * sum(dropped) + queue_depth}.
 */
public final class TelemetryMetrics {

  private TelemetryMetrics() {}

  public static void register(
      ReportPipeline pipeline, AccessLogService accessLog, PrometheusRegistry registry) {
    counter(
        registry,
        "offpath_report_entries_received",
        "Requests (access-log entries, ext_proc reports) handed to the report pipeline, including"
            + " dropped ones.",
        pipeline::received);
    counter(
        registry,
        "offpath_report_entries_dispatched",
        "Requests run through the report rules.",
        pipeline::dispatched);
    CounterWithCallback.builder()
        .name("offpath_report_entries_dropped")
        .help("Requests dropped before the report rules, by reason.")
        .labelNames("reason")
        .callback(
            cb -> {
              for (DropReason r : DropReason.values()) {
                cb.call(pipeline.dropped(r), r.label());
              }
            })
        .register(registry);
    counter(
        registry,
        "offpath_report_batches",
        "Batches the report workers dispatched.",
        pipeline::batches);
    counter(
        registry,
        "offpath_report_instance_errors",
        "Report instances that could not be built (a field failed to evaluate).",
        pipeline::instanceErrors);
    gauge(
        registry,
        "offpath_report_queue_depth",
        "Requests queued or in dispatch in the report pipeline.",
        pipeline::depth);
    gauge(
        registry,
        "offpath_report_queue_capacity",
        "Queue depth at which access-log streams stop reading and ext_proc reports are dropped.",
        pipeline::capacity);
    gauge(
        registry,
        "offpath_accesslog_streams_open",
        "Access-log streams open now.",
        accessLog::openStreams);
    counter(
        registry,
        "offpath_accesslog_streams",
        "Access-log streams accepted.",
        accessLog::streams);
    counter(
        registry,
        "offpath_accesslog_tcp_connections_evicted",
        "TCP connections whose byte counts a stream forgot to make room (its cap); their next entry counts from zero.",
        accessLog::tcpConnectionsEvicted);
    counter(
        registry,
        "offpath_accesslog_tcp_connections_aged_out",
        "TCP connections forgotten after 10 minutes without an entry (their final entry never came).",
        accessLog::tcpConnectionsAgedOut);
  }

  private static void counter(
      PrometheusRegistry registry, String name, String help, DoubleSupplier value) {
    CounterWithCallback.builder()
        .name(name)
        .help(help)
        .callback(cb -> cb.call(value.getAsDouble()))
        .register(registry);
  }

  private static void gauge(
      PrometheusRegistry registry, String name, String help, DoubleSupplier value) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .callback(cb -> cb.call(value.getAsDouble()))
        .register(registry);
  }
}
