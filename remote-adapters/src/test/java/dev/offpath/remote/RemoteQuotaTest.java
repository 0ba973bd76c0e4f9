package dev.offpath.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.remote.RemoteConnection;
import dev.offpath.core.remote.RemoteFailurePolicy;
import dev.offpath.core.remote.RemoteHandlerConfig;
import dev.offpath.core.remote.RemoteTemplate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RemoteQuotaTest {

  private static final String NAME = "requestcountquota.instance.istio-system";
  private final RemoteTemplate quota = Templates.istio("quota");
  private final ChannelRegistry registry = new ChannelRegistry();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  /** An adapter with a limit of {@code left} units in total, granting what is left. */
  private TestAdapter limited(AtomicLong left, List<Long> asked) throws Exception {
    Descriptor request = quota.request();
    TestAdapter a =
        new TestAdapter(
            quota,
            m -> {
              Message q = (Message) m.getField(request.findFieldByName("quota_request"));
              Message entry =
                  (Message) ((List<?>) q.getField(q.getDescriptorForType().findFieldByName("quotas"))).get(0);
              String name = (String) entry.getField(entry.getDescriptorForType().findFieldByName("key"));
              Message params = (Message) entry.getField(entry.getDescriptorForType().findFieldByName("value"));
              long amount = (Long) params.getField(params.getDescriptorForType().findFieldByName("amount"));
              asked.add(amount);
              long granted;
              synchronized (left) {
                granted = Math.min(amount, left.get());
                left.addAndGet(-granted);
              }
              return Answers.quota(quota, name, granted, 60);
            });
    closing.add(a);
    return a;
  }

  private RemoteHandler handler(String address, RemoteFailurePolicy policy) {
    RemoteHandler h =
        new RemoteHandler(
            new RemoteHandlerConfig(
                "quotaadapter",
                false,
                List.of(quota),
                new RemoteConnection(address, Duration.ofSeconds(2), null),
                null,
                null,
                policy),
            new TestEnvironment("quotahandler.default"),
            registry);
    closing.add(h);
    return h;
  }

  private static Instance instance(String user) {
    return new Instance(NAME, "quota", Map.of("dimensions.user", user, "dimensions.path", "/api"));
  }

  @Test
  void aThousandAllocationsCostFewCalls_andTheAdaptersLimitHolds() throws Exception {
    List<Long> asked = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicLong left = new AtomicLong(500);
    TestAdapter a = limited(left, asked);
    RemoteHandler h = handler(a.address(), RemoteFailurePolicy.FAIL_CLOSE);

    int granted = 0;
    int exhausted = 0;
    for (int i = 0; i < 1000; i++) {
      QuotaResult r = h.allocate(instance("alice"), new QuotaArgs("d" + i, 1, false));
      // A check that finds the pool empty while a prefetch is in flight is denied; while the
      // adapter still has budget, or its last answer is still on its way (UNAVAILABLE "not
      // answered yet"), wait for that prefetch to land (however slow the machine) and ask again,
      // so the counts below do not depend on timing.
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!r.status().isOk()
          && (left.get() > 0 || r.status().code() == StatusCode.UNAVAILABLE)
          && System.nanoTime() < deadline) {
        Thread.sleep(20); // each retry of an empty pool may send a prefetch: not too often
        r = h.allocate(instance("alice"), new QuotaArgs("d" + i, 1, false));
      }
      if (r.status().isOk()) {
        granted++;
      } else {
        assertThat(r.status().code()).isIn(StatusCode.RESOURCE_EXHAUSTED);
        exhausted++;
      }
    }

    assertThat(a.calls.get()).as("adapter calls for 1,000 checks").isLessThan(100);
    // Every unit the adapter granted is used, except perhaps those of the last prefetch, which may
    // land after the loop; the pool may pass one optimistic prefetch beyond the limit (README:
    // overshoot).
    int largest = (int) (long) java.util.Collections.max(asked);
    assertThat(granted).isBetween(500 - largest, 500 + largest);
    assertThat(exhausted).isEqualTo(1000 - granted);
    DynamicMessage first = a.requests.get(0);
    Message instance = (Message) first.getField(quota.request().findFieldByName("instance"));
    assertThat(instance.getField(quota.instance().findFieldByName("name"))).isEqualTo(NAME);
  }

  @Test
  void anAdapterDownIsUnavailableWhenFailingClosed_neverResourceExhausted() throws Exception {
    List<Long> asked = new ArrayList<>();
    TestAdapter a = limited(new AtomicLong(1_000_000), asked);
    a.stop();
    RemoteHandler closed = handler(a.address(), RemoteFailurePolicy.FAIL_CLOSE);
    RemoteHandler open = handler(a.address(), RemoteFailurePolicy.FAIL_OPEN);

    QuotaResult c = null;
    QuotaResult o = null;
    for (int i = 0; i < 50; i++) {
      c = closed.allocate(instance("bob"), new QuotaArgs("c" + i, 1, false));
      o = open.allocate(instance("bob"), new QuotaArgs("o" + i, 1, false));
      Thread.sleep(20);
    }
    assertThat(c.status().code()).isEqualTo(StatusCode.UNAVAILABLE);
    assertThat(o.status().isOk()).isTrue();
  }

  /**
   * A killed adapter is not known to be down until its call fails: the checks a FAIL_CLOSE pool
   * denies meanwhile (a burst on a new pool, its one optimistic prefetch unanswered) are
   * UNAVAILABLE too, never RESOURCE_EXHAUSTED, which only the adapter's own answer makes.
   */
  @Test
  void aBurstBeforeTheFirstFailureIsKnownIsNeverResourceExhausted() throws Exception {
    TestAdapter a = limited(new AtomicLong(1_000_000), new ArrayList<>());
    a.stop();
    RemoteHandler closed = handler(a.address(), RemoteFailurePolicy.FAIL_CLOSE);

    List<QuotaResult> results = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      results.add(closed.allocate(instance("erin"), new QuotaArgs("e" + i, 1, false)));
    }
    assertThat(results)
        .allSatisfy(r -> assertThat(r.status().code()).isIn(StatusCode.OK, StatusCode.UNAVAILABLE));
    assertThat(results).anySatisfy(r -> assertThat(r.status().code()).isEqualTo(StatusCode.UNAVAILABLE));
  }
}
