package dev.offpath.server.metrics;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.MeteredHandler;
import dev.offpath.core.runtime.PolicyEngine;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Exposes the counters and gauges of the live engine's {@link MeteredHandler}s (redisquota's Redis
 * calls and circuit breaker, …), read at scrape time, each data point labelled with its {@code
 * handler}. A handler replaced by a reload starts its counters again, as a restarted process
 * would.
 */
public final class HandlerMetrics implements MultiCollector {

  private final Supplier<PolicyEngine> engine;

  public HandlerMetrics(Supplier<PolicyEngine> engine) {
    this.engine = requireNonNull(engine, "engine");
  }

  @Override
  public MetricSnapshots collect() {
    Map<String, Family> families = new LinkedHashMap<>();
    for (Map.Entry<String, Handler> e : engine.get().handlers().entrySet()) {
      if (e.getValue() instanceof MeteredHandler metered) {
        metered.collect(new Sink(e.getKey(), families));
      }
    }
    List<MetricSnapshot> out = new ArrayList<>(families.size());
    for (Map.Entry<String, Family> e : families.entrySet()) {
      out.add(e.getValue().snapshot(e.getKey()));
    }
    return new MetricSnapshots(out);
  }

  private static final class Family {
    final boolean counter;
    final String help;
    final List<Object> points = new ArrayList<>();

    Family(boolean counter, String help) {
      this.counter = counter;
      this.help = help;
    }

    MetricSnapshot snapshot(String name) {
      if (counter) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        points.forEach(p -> b.dataPoint((CounterDataPointSnapshot) p));
        return b.build();
      }
      GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
      points.forEach(p -> b.dataPoint((GaugeDataPointSnapshot) p));
      return b.build();
    }
  }

  private static final class Sink implements MeteredHandler.MetricSink {
    private final String handler;
    private final Map<String, Family> families;

    Sink(String handler, Map<String, Family> families) {
      this.handler = handler;
      this.families = families;
    }

    @Override
    public void counter(String name, String help, double value, String... labels) {
      Family f = family(name, help, true);
      if (f != null) {
        f.points.add(
            CounterDataPointSnapshot.builder().value(value).labels(labels(labels)).build());
      }
    }

    @Override
    public void gauge(String name, String help, double value, String... labels) {
      Family f = family(name, help, false);
      if (f != null) {
        f.points.add(GaugeDataPointSnapshot.builder().value(value).labels(labels(labels)).build());
      }
    }

    private @Nullable Family family(String name, String help, boolean counter) {
      Family f = families.computeIfAbsent(name, n -> new Family(counter, help));
      // A name reported as both kinds is a handler bug; keep the first kind rather than fail the scrape.
      return f.counter == counter ? f : null;
    }

    private Labels labels(String[] pairs) {
      if (pairs.length % 2 != 0) {
        throw new IllegalArgumentException("labels: odd count " + pairs.length);
      }
      String[] names = new String[pairs.length / 2 + 1];
      String[] values = new String[names.length];
      names[0] = "handler";
      values[0] = handler;
      for (int i = 0; i < pairs.length; i += 2) {
        names[i / 2 + 1] = pairs[i];
        values[i / 2 + 1] = pairs[i + 1];
      }
      return Labels.of(names, values);
    }
  }
}
