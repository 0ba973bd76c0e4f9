package dev.offpath.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DynamicMessage;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.remote.RemoteConnection;
import dev.offpath.core.remote.RemoteFailurePolicy;
import dev.offpath.core.remote.RemoteHandlerConfig;
import dev.offpath.core.remote.RemoteTemplate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RemoteReportTest {

  private final RemoteTemplate metric = Templates.istio("metric");
  private final ChannelRegistry registry = new ChannelRegistry();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  private TestAdapter adapter() throws Exception {
    TestAdapter a = new TestAdapter(metric, m -> Answers.empty());
    closing.add(a);
    return a;
  }

  private RemoteHandler handler(TestAdapter a, Duration timeout) {
    RemoteHandler h =
        new RemoteHandler(
            new RemoteHandlerConfig(
                "prometheus",
                false,
                List.of(metric),
                new RemoteConnection(a.address(), timeout, null),
                null,
                null,
                RemoteFailurePolicy.FAIL_CLOSE),
            new TestEnvironment("prometheus-handler.istio-system"),
            registry);
    closing.add(h);
    return h;
  }

  private static int instancesIn(TestAdapter a, Set<Long> values) {
    int n = 0;
    var field = a.template.request().findFieldByName("instances");
    var value = a.template.instance().findFieldByName("value");
    for (DynamicMessage m : a.requests) {
      for (Object o : (List<?>) m.getField(field)) {
        DynamicMessage instance = (DynamicMessage) o;
        DynamicMessage v = (DynamicMessage) instance.getField(value);
        values.add((Long) v.getField(v.getDescriptorForType().findFieldByName("int64_value")));
        n++;
      }
    }
    return n;
  }

  private static List<Instance> batch(int from, int n) {
    List<Instance> out = new ArrayList<>(n);
    for (int i = from; i < from + n; i++) {
      out.add(Instances.metric(i));
    }
    return out;
  }

  @Test
  void twentyThousandInstancesArriveExactlyOnce_inBatches() throws Exception {
    TestAdapter a = adapter();
    RemoteHandler h = handler(a, Duration.ofSeconds(10));
    ExecutorService workers = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int base = w * 5000;
        done.add(
            workers.submit(
                () -> {
                  for (int b = 0; b < 10; b++) {
                    h.report(batch(base + b * 500, 500));
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      workers.shutdown();
    }
    h.flush();

    Set<Long> values = new HashSet<>();
    assertThat(instancesIn(a, values)).isEqualTo(20_000);
    assertThat(values).hasSize(20_000);
    assertThat(a.calls.get()).isBetween(40, 80); // 500 per call, a few split at 1 MiB
    assertThat(h.stats().instancesSent()).isEqualTo(20_000);
    assertThat(h.stats().reportCalls()).isEqualTo(a.calls.get());
  }

  @Test
  void aSlowAdapterBoundsCallsInFlight_andLosesNothing() throws Exception {
    TestAdapter a = adapter();
    a.delayMillis = 100;
    RemoteHandler h = handler(a, Duration.ofSeconds(10));
    ExecutorService workers = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < 8; w++) {
        int base = w * 300;
        done.add(
            workers.submit(
                () -> {
                  for (int b = 0; b < 3; b++) {
                    h.report(batch(base + b * 100, 100));
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      workers.shutdown();
    }
    h.flush();

    assertThat(a.maxInFlight.get()).isLessThanOrEqualTo(RemoteHandler.MAX_REPORTS_IN_FLIGHT);
    assertThat(instancesIn(a, new HashSet<>())).isEqualTo(2_400);
    assertThat(h.stats().calls(CallOutcome.OVERLOADED)).isZero();
  }

  @Test
  void anAdapterDownCountsDropsByReason() throws Exception {
    TestAdapter a = adapter();
    RemoteHandler h = handler(a, Duration.ofSeconds(2));
    a.stop();

    for (int b = 0; b < RemoteHandler.BREAKER_FAILURES + 2; b++) {
      h.report(batch(b * 10, 10));
      h.flush();
    }
    h.report(List.of(new Instance("bad", "metric", java.util.Map.of("no_such_field", "x"))));

    CallStats s = h.stats();
    assertThat(s.dropped(CallOutcome.UNAVAILABLE)).isEqualTo(10L * RemoteHandler.BREAKER_FAILURES);
    assertThat(s.dropped(CallOutcome.CIRCUIT_OPEN)).isEqualTo(20);
    assertThat(s.droppedInvalid()).isEqualTo(1);
    assertThat(s.instancesSent()).isZero();
  }
}
