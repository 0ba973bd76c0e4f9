package dev.offpath.remote;

import static java.util.Objects.requireNonNull;

import dev.offpath.cache.quota.QuotaPoolStats;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AsyncCheckHandler;
import dev.offpath.core.adapter.AsyncReportHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.CircuitBreaker;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.MeteredHandler;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.QuotaHandler;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.remote.RemoteHandlerConfig;
import dev.offpath.core.remote.RemoteTemplate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The running handler of an out-of-process adapter: one {@link RemoteCheck}, {@link RemoteQuota}
 * or {@link RemoteReport} per template the adapter serves, sharing one {@link Caller} (channel,
 * circuit breaker, counters). It is a check, quota and report handler at once; the config compiler
 * only routes instances of the adapter's templates here, and an instance of another template is
 * answered INTERNAL (check, quota) or dropped as invalid (report).
 *
 * <p>Breaker: {@value #BREAKER_FAILURES} consecutive failed calls open it for {@value
 * #BREAKER_OPEN_MILLIS} ms, then one call probes. Reports: at most {@value #MAX_REPORTS_IN_FLIGHT}
 * calls in flight. {@link #flush} and {@link #close} wait, at most twice the call timeout, for the
 * report calls in flight; {@code close} then releases the channel.
 *
 * <p>Thread-safe.
 */
final class RemoteHandler
    implements AsyncCheckHandler, QuotaHandler, AsyncReportHandler, MeteredHandler {

  static final int BREAKER_FAILURES = 5;
  static final int BREAKER_OPEN_MILLIS = 1000;
  static final int MAX_REPORTS_IN_FLIGHT = 4;

  private final Caller caller;
  private final Map<String, RemoteCheck> checks = new HashMap<>();
  private final Map<String, RemoteQuota> quotas = new HashMap<>();
  private final Map<String, RemoteReport> reports = new HashMap<>();
  private final Semaphore reportSlots = new Semaphore(MAX_REPORTS_IN_FLIGHT);

  RemoteHandler(RemoteHandlerConfig config, AdapterEnvironment environment, ChannelRegistry registry) {
    requireNonNull(config, "config");
    String name = environment.handlerName();
    CircuitBreaker breaker =
        new CircuitBreaker(
            environment.ticker(), BREAKER_FAILURES, Duration.ofMillis(BREAKER_OPEN_MILLIS));
    ChannelRegistry.Lease lease = registry.acquire(name, config.connection());
    try {
      this.caller = new Caller(name, lease, breaker, config.connection());
      for (RemoteTemplate t : config.templates()) {
        RequestEncoder encoder = new RequestEncoder(t, config.paramsTypeUrl(), config.params());
        switch (t.variety()) {
          case CHECK -> checks.put(t.name(), new RemoteCheck(caller, encoder, t, config.failurePolicy()));
          case QUOTA ->
              quotas.put(
                  t.name(),
                  new RemoteQuota(caller, encoder, t, config.failurePolicy(), environment.ticker()));
          case REPORT -> reports.put(t.name(), new RemoteReport(caller, encoder, t, reportSlots));
          default -> throw new IllegalArgumentException(
              "template " + t.name() + ": variety " + t.variety() + " is not dispatched");
        }
      }
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  @Override
  public CompletableFuture<CheckResult> checkAsync(Instance instance) {
    RemoteCheck check = checks.get(instance.template());
    if (check == null) {
      return CompletableFuture.completedFuture(
          CheckResult.denied(
              StatusCode.INTERNAL,
              "handler " + caller.handler + " has no check template " + instance.template(),
              Duration.ZERO,
              0));
    }
    return check.check(instance);
  }

  /** A failure policy's answer (the call failed): a failed dispatch for the runtime's metrics. */
  @Override
  public boolean failed(CheckResult answer) {
    return RemoteCheck.isFailure(answer);
  }

  @Override
  public QuotaResult allocate(Instance instance, QuotaArgs args) {
    RemoteQuota quota = quotas.get(instance.template());
    if (quota == null) {
      return new QuotaResult(
          PolicyStatus.of(
              StatusCode.INTERNAL,
              "handler " + caller.handler + " has no quota template " + instance.template()),
          0,
          Duration.ZERO);
    }
    return quota.allocate(instance, args);
  }

  @Override
  public CompletableFuture<Boolean> reportAsync(List<Instance> instances) {
    if (instances.isEmpty()) {
      return CompletableFuture.completedFuture(true);
    }
    String first = instances.get(0).template();
    boolean mixed = false;
    for (Instance i : instances) {
      if (!i.template().equals(first)) {
        mixed = true;
        break;
      }
    }
    if (!mixed) {
      return reportTemplate(first, instances);
    }
    Map<String, List<Instance>> byTemplate = new LinkedHashMap<>();
    for (Instance i : instances) {
      byTemplate.computeIfAbsent(i.template(), t -> new ArrayList<>()).add(i);
    }
    List<CompletableFuture<Boolean>> calls = new ArrayList<>(byTemplate.size());
    byTemplate.forEach((template, list) -> calls.add(reportTemplate(template, list)));
    return RemoteReport.all(calls, true);
  }

  private CompletableFuture<Boolean> reportTemplate(String template, List<Instance> instances) {
    RemoteReport report = reports.get(template);
    if (report == null) {
      caller.stats.droppedInvalid(instances.size());
      return CompletableFuture.completedFuture(false);
    }
    return report.report(instances);
  }

  /** Waits, at most twice the call timeout, until no report call is in flight. */
  @Override
  public void flush() {
    try {
      if (reportSlots.tryAcquire(
          MAX_REPORTS_IN_FLIGHT, caller.timeout.toNanos() * 2, TimeUnit.NANOSECONDS)) {
        reportSlots.release(MAX_REPORTS_IN_FLIGHT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    flush();
    caller.close();
  }

  CallStats stats() {
    return caller.stats;
  }

  CircuitBreaker.State breakerState() {
    return caller.breaker.state();
  }

  ChannelRegistry.Lease lease() {
    return caller.lease;
  }

  @Override
  public void collect(MetricSink sink) {
    caller.stats.collect(sink);
    sink.gauge(
        "offpath_adapter_circuit_open",
        "1 while the handler's circuit breaker is open or probing.",
        caller.breaker.state() == CircuitBreaker.State.CLOSED ? 0 : 1);
    sink.counter(
        "offpath_adapter_circuit_opened",
        "Times the handler's circuit breaker opened.",
        caller.breaker.openedCount());
    if (!quotas.isEmpty()) {
      long pools = 0;
      long prefetching = 0;
      QuotaPoolStats s = QuotaPoolStats.EMPTY;
      for (RemoteQuota q : quotas.values()) {
        pools += q.pools();
        prefetching += q.prefetchesInFlight();
        s = s.plus(q.poolStats());
      }
      sink.gauge("offpath_adapter_quota_pools", "Live quota token pools.", pools);
      sink.gauge(
          "offpath_adapter_quota_prefetches_in_flight",
          "Quota prefetches sent to the adapter and not yet answered.",
          prefetching);
      sink.counter(
          "offpath_adapter_quota_checks",
          "Quota checks answered from the pools, by result.",
          s.passes(),
          "result",
          "pass");
      sink.counter(
          "offpath_adapter_quota_checks",
          "Quota checks answered from the pools, by result.",
          s.denials(),
          "result",
          "deny");
      s.collectTokens(sink, "offpath_adapter_quota_", "the adapter");
    }
  }
}
