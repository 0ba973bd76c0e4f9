package dev.offpath.core.adapter;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A report handler whose delivery ends later than {@link #reportAsync} returns (an out-of-process
 * adapter: the instances go out in a gRPC call). The telemetry pipeline counts the dispatch ({@code
 * mixer_runtime_dispatch_count} / {@code _duration}) when the future completes, so the duration is
 * the delivery's and {@code error} says whether it failed, as for a handler that reports
 * synchronously (README "Self-monitoring").
 *
 * <p>The future must complete, normally, within the handler's own deadline: {@code true} when every
 * instance was delivered, {@code false} when any was not (the handler counts those itself, by
 * reason). {@link #reportAsync} may block briefly for back-pressure (it is called from the
 * pipeline's workers, never from request threads), like {@link ReportHandler#report}.
 */
public interface AsyncReportHandler extends ReportHandler {

  /** Starts delivering {@code instances}; must not keep the list. Thread-safe. */
  CompletableFuture<Boolean> reportAsync(List<Instance> instances);

  @Override
  default void report(List<Instance> instances) {
    reportAsync(instances);
  }
}
