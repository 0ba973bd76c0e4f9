package dev.offpath.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.ReportHandler;
import dev.offpath.core.attribute.Attributes;
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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The report pipeline with a recording report adapter: instances built from config, exact counts
 * under concurrency, refusal when full, capacity callbacks, shutdown flush and its deadline, and
 * config reloads.
 */
class ReportPipelineTest {

  private static final String CONFIG =
      """
      apiVersion: config.istio.io/v1alpha2
      kind: recorder
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
          host: request.host | "unknown"
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: metric
      metadata: {name: requestsize, namespace: istio-system}
      spec:
        value: request.size
        dimensions:
          code: response.code | 200
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: rule
      metadata: {name: http, namespace: istio-system}
      spec:
        match: context.protocol == "http"
        actions:
        - handler: handler.recorder
          instances: [requestcount.metric, requestsize.metric]
      """;

  private final FakeTicker ticker = new FakeTicker();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final Recorder recorder = new Recorder();
  private final CountingMetrics metrics = new CountingMetrics();
  private final ConfigLoader loader = new ConfigLoader(AdapterRegistry.of(List.of(recorder)));
  private final PolicyStore store =
      new PolicyStore(
          new RuntimeServices(
              AdapterRegistry.of(List.of(recorder)), ticker, ticker, scheduler, metrics, false));
  private final ExecutorService clients = Executors.newFixedThreadPool(8);
  private ReportPipeline pipeline;

  @AfterEach
  void stop() {
    recorder.open();
    if (pipeline != null) {
      pipeline.close(Duration.ofSeconds(10));
    }
    clients.shutdownNow();
    store.close();
    scheduler.shutdownNow();
  }

  private void install(String yaml) throws Exception {
    store.install(loader.loadTexts(List.of(new ConfigText("test.yaml", yaml))));
  }

  private ReportPipeline start(int capacity, int workers) {
    pipeline =
        ReportPipeline.builder(store)
            .metrics(metrics)
            .ticker(ticker)
            .capacity(capacity)
            .batchSize(16)
            .workers(workers)
            .start();
    return pipeline;
  }

  private static Attributes http(long code, String host) {
    return MapAttributes.builder()
        .put("context.protocol", "http")
        .put("response.code", code)
        .put("request.host", host)
        .put("request.size", 10L)
        .build();
  }

  private void assertBalanced(ReportPipeline p) {
    long dropped = 0;
    for (DropReason r : DropReason.values()) {
      dropped += p.dropped(r);
    }
    assertThat(p.received()).isEqualTo(p.dispatched() + dropped + p.depth());
  }

  @Test
  void buildsInstancesOfMatchingRulesAndDispatchesThemPerHandlerAndTemplate() throws Exception {
    install(CONFIG);
    ReportPipeline p = start(100, 1);

    assertThat(p.offer(http(404, "reviews"))).isTrue();
    assertThat(p.offer(MapAttributes.builder().put("context.protocol", "tcp").build())).isTrue();
    p.close(Duration.ofSeconds(10));

    assertThat(recorder.instances)
        .extracting(Instance::name)
        .containsExactly("requestcount.metric.istio-system", "requestsize.metric.istio-system");
    Instance count = recorder.instances.peek();
    assertThat(count.template()).isEqualTo("metric");
    assertThat(count.fields())
        .isEqualTo(Map.of("value", 1L, "dimensions.code", 404L, "dimensions.host", "reviews"));
    assertThat(p.dispatched()).isEqualTo(2);
    assertThat(metrics.dispatches.get("recorder/handler.recorder.istio-system/metric/false").sum())
        .isEqualTo(1);
  }

  @Test
  void anInstanceWhoseFieldFailsIsCountedAndTheOthersAreStillBuilt() throws Exception {
    install(CONFIG);
    ReportPipeline p = start(100, 1);

    p.offer(MapAttributes.builder().put("context.protocol", "http").build());
    p.close(Duration.ofSeconds(10));

    // request.size has no default: requestsize cannot be built, requestcount can.
    assertThat(recorder.instances)
        .extracting(Instance::name)
        .containsExactly("requestcount.metric.istio-system");
    assertThat(p.instanceErrors()).isEqualTo(1);
  }

  @Test
  void everyAcceptedBagIsDispatchedExactlyOnceUnderConcurrency() throws Exception {
    install(CONFIG);
    ReportPipeline p = start(1_000_000, 3);
    int threads = 8;
    int perThread = 5_000;
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      done.add(
          clients.submit(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  if (i % 10 == 0) {
                    List<Attributes> message = new ArrayList<>();
                    for (int j = 0; j < 5; j++) {
                      message.add(http(200 + id, "h" + (i % 7)));
                    }
                    p.submit(message);
                  } else {
                    assertThat(p.offer(http(200 + id, "h" + (i % 7)))).isTrue();
                  }
                }
              }));
    }
    for (Future<?> f : done) {
      f.get(30, TimeUnit.SECONDS);
    }
    assertThat(p.close(Duration.ofSeconds(30))).isTrue();

    long expected = (long) threads * (perThread / 10 * 5 + perThread * 9 / 10);
    assertThat(p.received()).isEqualTo(expected);
    assertThat(p.dispatched()).isEqualTo(expected);
    assertThat(recorder.count("requestcount.metric.istio-system")).isEqualTo(expected);
    assertThat(recorder.count("requestsize.metric.istio-system")).isEqualTo(expected);
    assertBalanced(p);
  }

  @Test
  void offerRefusesWhenFullAndCountsTheDrop() throws Exception {
    install(CONFIG);
    recorder.close();
    ReportPipeline p = start(4, 1);

    // The worker takes the first bag and blocks in the handler (it still counts: in flight); three
    // more fill the queue.
    assertThat(p.offer(http(200, "a"))).isTrue();
    recorder.awaitBlocked();
    for (int i = 0; i < 3; i++) {
      assertThat(p.offer(http(200, "a"))).isTrue();
    }
    assertThat(p.hasCapacity()).isFalse();
    assertThat(p.offer(http(200, "a"))).isFalse();
    assertThat(p.offer(http(200, "a"))).isFalse();

    assertThat(p.dropped(DropReason.QUEUE_FULL)).isEqualTo(2);
    assertThat(p.depth()).isEqualTo(4);
    recorder.open();
    assertThat(p.close(Duration.ofSeconds(10))).isTrue();
    assertThat(recorder.count("requestcount.metric.istio-system")).isEqualTo(4);
    assertBalanced(p);
  }

  @Test
  void submitNeverRefusesWhileRunningAndTheCapacityCallbackFiresOnceDrained() throws Exception {
    install(CONFIG);
    recorder.close();
    ReportPipeline p = start(4, 1);

    assertThat(p.submit(List.of(http(200, "a")))).isTrue();
    recorder.awaitBlocked();
    // A stream's message is taken whole, past the capacity.
    assertThat(p.submit(List.of(http(200, "a"), http(200, "b"), http(200, "c"), http(200, "d"),
        http(200, "e")))).isTrue();
    assertThat(p.hasCapacity()).isFalse();
    CountDownLatch resumed = new CountDownLatch(1);
    p.whenCapacity(resumed::countDown);
    assertThat(resumed.getCount()).isEqualTo(1);

    recorder.open();
    assertThat(resumed.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.close(Duration.ofSeconds(10))).isTrue();
    assertThat(p.dispatched()).isEqualTo(6);
  }

  @Test
  void whenCapacityRunsAtOnceWhenThereIsRoom() throws Exception {
    install(CONFIG);
    ReportPipeline p = start(4, 1);
    AtomicInteger runs = new AtomicInteger();

    p.whenCapacity(runs::incrementAndGet);

    assertThat(runs).hasValue(1);
  }

  @Test
  void closeFlushesEverythingQueuedThenRefusesWithAReason() throws Exception {
    install(CONFIG);
    recorder.close();
    ReportPipeline p = start(1_000_000, 2);
    for (int i = 0; i < 100; i++) {
      assertThat(p.offer(http(200, "a"))).isTrue();
    }
    recorder.awaitBlocked();

    CountDownLatch closed = new CountDownLatch(1);
    clients.submit(
        () -> {
          p.close(Duration.ofSeconds(30));
          closed.countDown();
        });
    // Offers race the close; once it began, new work is refused and counted.
    while (p.dropped(DropReason.SHUTDOWN) == 0) {
      p.offer(http(200, "late"));
    }
    assertThat(p.submit(List.of(http(200, "late"), http(200, "late")))).isFalse();
    recorder.open();
    assertThat(closed.await(30, TimeUnit.SECONDS)).isTrue();

    assertThat(p.dropped(DropReason.SHUTDOWN)).isEqualTo(3);
    assertThat(p.dropped(DropReason.SHUTDOWN_TIMEOUT)).isZero();
    assertThat(p.dispatched()).isEqualTo(p.received() - 3).isGreaterThanOrEqualTo(100);
    assertThat(recorder.count("requestcount.metric.istio-system")).isEqualTo(p.dispatched());
    assertBalanced(p);
  }

  @Test
  void whatIsStillQueuedAtTheDeadlineIsCountedAsDropped() throws Exception {
    install(CONFIG);
    recorder.close();
    ReportPipeline p = start(1000, 1);
    for (int i = 0; i < 50; i++) {
      p.offer(http(200, "a"));
    }
    recorder.awaitBlocked();

    assertThat(p.close(Duration.ZERO)).isFalse();
    recorder.open();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (p.depth() > 0) {
      assertThat(System.nanoTime()).isLessThan(end);
      Thread.onSpinWait();
    }

    assertThat(p.depth()).isZero();
    assertThat(recorder.count("requestcount.metric.istio-system") + p.dropped(
        DropReason.SHUTDOWN_TIMEOUT)).isEqualTo(50);
    assertBalanced(p);
  }

  @Test
  void thePlanFollowsConfigReloads() throws Exception {
    install(CONFIG);
    ReportPipeline p = start(100, 1);
    p.offer(http(200, "a"));
    awaitDispatched(p, 1);

    install(CONFIG.replace("context.protocol == \"http\"", "context.protocol == \"grpc\""));
    p.offer(http(200, "a"));
    awaitDispatched(p, 2);
    install(CONFIG);
    p.offer(http(200, "a"));
    p.close(Duration.ofSeconds(10));

    assertThat(recorder.count("requestcount.metric.istio-system")).isEqualTo(2);
  }

  @Test
  void recordsFrontDoorDropsAsReceived() throws Exception {
    install(CONFIG);
    ReportPipeline p = start(100, 1);
    p.recordDropped(DropReason.MALFORMED, 3);
    p.close(Duration.ofSeconds(10));

    assertThat(p.received()).isEqualTo(3);
    assertThat(p.dropped(DropReason.MALFORMED)).isEqualTo(3);
    assertBalanced(p);
  }

  private static void awaitDispatched(ReportPipeline p, long n) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (p.dispatched() < n) {
      assertThat(System.nanoTime()).isLessThan(end);
      Thread.onSpinWait();
    }
  }

  /** A report adapter recording every instance; {@link #close()} makes it block until opened. */
  static final class Recorder implements AdapterFactory<Recorder.Config> {
    record Config() {}

    final ConcurrentLinkedQueue<Instance> instances = new ConcurrentLinkedQueue<>();
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private final CountDownLatch blocked = new CountDownLatch(1);

    void close() {
      gate = new CountDownLatch(1);
    }

    void open() {
      gate.countDown();
    }

    void awaitBlocked() throws InterruptedException {
      assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
    }

    long count(String name) {
      return instances.stream().filter(i -> i.name().equals(name)).count();
    }

    @Override
    public String name() {
      return "recorder";
    }

    @Override
    public Set<String> templates() {
      return Set.of("metric", "logentry");
    }

    @Override
    public Config parse(Params params) {
      return new Config();
    }

    @Override
    public Handler create(Config config, AdapterEnvironment environment) {
      return (ReportHandler)
          batch -> {
            CountDownLatch g = gate;
            if (g.getCount() > 0) {
              blocked.countDown();
              try {
                g.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            instances.addAll(batch);
          };
    }
  }

  static final class CountingMetrics implements RuntimeMetrics {
    final Map<String, LongAdder> dispatches = new ConcurrentHashMap<>();

    @Override
    public void dispatched(
        String adapter, String handler, String meshFunction, boolean error, long nanos) {
      dispatches
          .computeIfAbsent(
              adapter + "/" + handler + "/" + meshFunction + "/" + error, k -> new LongAdder())
          .increment();
    }

    @Override
    public void matchError(String rule) {}
  }
}
