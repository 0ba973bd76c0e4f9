package dev.offpath.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.AsyncReportHandler;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigText;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.runtime.RuntimeServices;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A report handler that delivers later ({@link AsyncReportHandler}, as an out-of-process adapter's):
 * its dispatch ({@code mixer_runtime_dispatch_count} / {@code _duration}) is counted when the
 * delivery ends, with the delivery's duration, an error when not all was delivered or when the
 * handler threw; nothing is counted while the delivery is under way.
 */
class AsyncReportDispatchTest {

  private static final String CONFIG =
      """
      apiVersion: config.istio.io/v1alpha2
      kind: later
      metadata: {name: handler, namespace: istio-system}
      spec: {}
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: metric
      metadata: {name: requestcount, namespace: istio-system}
      spec:
        value: "1"
        dimensions:
          code: response.code | 200
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: rule
      metadata: {name: all, namespace: istio-system}
      spec:
        actions:
        - handler: handler.later
          instances: [requestcount.metric]
      """;

  private final FakeTicker ticker = new FakeTicker();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final Later later = new Later();
  private final Recording metrics = new Recording();
  private final PolicyStore store =
      new PolicyStore(
          new RuntimeServices(
              AdapterRegistry.of(List.of(later)), ticker, ticker, scheduler, metrics, false));

  @AfterEach
  void stop() {
    store.close();
    scheduler.shutdownNow();
  }

  @Test
  void aDispatchIsCountedWhenItsDeliveryEndsWithItsDurationAndOutcome() throws Exception {
    store.install(
        new ConfigLoader(AdapterRegistry.of(List.of(later)))
            .loadTexts(List.of(new ConfigText("test.yaml", CONFIG))));
    ReportPlan plan = ReportPlan.of(store.current(), metrics, ticker);
    List<MapAttributes> bags = List.of(bag(200), bag(404), bag(503));

    assertThat(plan.dispatch(bags)).isZero();
    assertThat(later.deliveries).hasSize(1);
    assertThat(later.batches.poll()).hasSize(3);
    assertThat(metrics.events).as("nothing counted while the delivery is under way").isEmpty();
    ticker.advance(Duration.ofMillis(7));
    later.deliveries.poll().complete(true);
    assertThat(metrics.events)
        .containsExactly("later/handler.later.istio-system/metric error=false 7000000ns");

    plan.dispatch(bags);
    ticker.advance(Duration.ofMillis(3));
    later.deliveries.poll().complete(false);
    assertThat(metrics.events)
        .endsWith("later/handler.later.istio-system/metric error=true 3000000ns");

    plan.dispatch(bags);
    later.deliveries.poll().completeExceptionally(new IllegalStateException("lost"));
    assertThat(metrics.events).hasSize(3).last().asString().contains("error=true");

    later.throwing = true;
    plan.dispatch(bags);
    assertThat(metrics.events).hasSize(4).last().asString().contains("error=true");
  }

  private static MapAttributes bag(long code) {
    return MapAttributes.builder().put("response.code", code).build();
  }

  /** An adapter whose handler hands out a future per batch, completed by the test. */
  static final class Later implements AdapterFactory<Later.Config> {
    record Config() {}

    final ConcurrentLinkedQueue<CompletableFuture<Boolean>> deliveries = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<List<Instance>> batches = new ConcurrentLinkedQueue<>();
    volatile boolean throwing;

    @Override
    public String name() {
      return "later";
    }

    @Override
    public Set<String> templates() {
      return Set.of("metric");
    }

    @Override
    public Config parse(Params params) {
      return new Config();
    }

    @Override
    public Handler create(Config config, AdapterEnvironment environment) {
      return (AsyncReportHandler)
          instances -> {
            if (throwing) {
              throw new IllegalStateException("handler failed");
            }
            batches.add(new ArrayList<>(instances));
            CompletableFuture<Boolean> f = new CompletableFuture<>();
            deliveries.add(f);
            return f;
          };
    }
  }

  static final class Recording implements RuntimeMetrics {
    final List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void dispatched(
        String adapter, String handler, String meshFunction, boolean error, long nanos) {
      events.add(adapter + "/" + handler + "/" + meshFunction + " error=" + error + " " + nanos + "ns");
    }

    @Override
    public void matchError(String rule) {}
  }
}
