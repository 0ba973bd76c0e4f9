package dev.offpath.server.remote;

import static dev.offpath.server.remote.OopAdapter.RESOURCE_EXHAUSTED;
import static dev.offpath.server.remote.OopAdapter.UNAVAILABLE;
import static dev.offpath.server.remote.OopAdapter.field;
import static dev.offpath.server.remote.OopAdapter.message;
import static dev.offpath.server.remote.OopAdapter.quotaResult;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.offpath.core.testing.MixerReference;
import dev.offpath.server.ServerHarness;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An out-of-process quota adapter (Istio's {@code quota} template) behind a real Offpath: the
 * adapter is a backend of the prefetch pools, so 1,000 quota Checks cost a few calls, and its own
 * budget is the limit (429 RESOURCE_EXHAUSTED once it is spent).
 */
class RemoteQuotaEndToEndTest {

  static final String INSTANCE = "requestcount.instance.istio-system";
  static final String HANDLER = "budget.handler.istio-system";

  @TempDir Path dir;
  private ServerHarness server;
  private OopAdapter adapter;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (adapter != null) {
      adapter.close();
    }
  }

  /**
   * Istio's {@code quota} template, an adapter {@code budget} taking it, its handler at {@code
   * address} ({@code annotations}: the handler's metadata annotations, or empty) and a per-user
   * instance, for every request.
   */
  static Path config(Path dir, String address, String annotations) throws Exception {
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.copy(MixerReference.file("oop/template-quota.yaml"), config.resolve("template-quota.yaml"));
    Files.writeString(
        config.resolve("budget.yaml"),
        """
        apiVersion: config.istio.io/v1alpha2
        kind: adapter
        metadata: {name: budget, namespace: istio-system}
        spec:
          session_based: false
          templates: [quota]
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: budget, namespace: istio-system%s}
        spec:
          adapter: budget
          connection: {address: "%s", timeout: 2s}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: requestcount, namespace: istio-system}
        spec:
          template: quota
          params:
            dimensions:
              user: request.headers["x-user"] | "anonymous"
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: quota, namespace: istio-system}
        spec:
          actions:
          - handler: budget
            instances: [requestcount]
        """
            .formatted(annotations.isEmpty() ? "" : ", annotations: {" + annotations + "}", address));
    return config;
  }

  /** The amount a {@code HandleQuotaRequest} asks for {@link #INSTANCE}. */
  static long askedAmount(DynamicMessage request) {
    Message quotaRequest = message(request, "quota_request");
    for (Object e : (List<?>) quotaRequest.getField(field(quotaRequest, "quotas"))) {
      Message entry = (Message) e;
      if (INSTANCE.equals(entry.getField(field(entry, "key")))) {
        Message params = message(entry, "value");
        return (Long) params.getField(field(params, "amount"));
      }
    }
    throw new AssertionError("no quota for " + INSTANCE + " in " + request);
  }

  /** The {@code user} dimension of the request's quota instance. */
  static String user(DynamicMessage request) {
    Message instance = OopAdapter.instance(request);
    for (Object e : (List<?>) instance.getField(field(instance, "dimensions"))) {
      Message entry = (Message) e;
      if ("user".equals(entry.getField(field(entry, "key")))) {
        return OopAdapter.stringValue(message(entry, "value"));
      }
    }
    throw new AssertionError("no user dimension in " + request);
  }

  /** An adapter with a budget of {@code budget} tokens: grants what is asked until it is spent. */
  static byte[] grantFrom(AtomicLong budget, DynamicMessage request) {
    long asked = askedAmount(request);
    long granted = Math.max(0, Math.min(asked, budget.getAndAdd(-asked)));
    if (granted < asked) {
      budget.set(0);
    }
    return granted == 0
        ? quotaResult(INSTANCE, 0, 60, RESOURCE_EXHAUSTED, "budget spent")
        : quotaResult(INSTANCE, granted, 60, 0, "");
  }

  @Test
  void aThousandQuotaChecksCostFewCallsAndTheAdaptersBudgetIsTheLimit() throws Exception {
    AtomicLong budget = new AtomicLong(300);
    adapter = new OopAdapter(OopAdapter.template("quota"), r -> grantFrom(budget, r));
    server = ServerHarness.start(List.of(config(dir, adapter.address(), "")));

    int allowed = 0;
    int exhausted = 0;
    for (int i = 0; i < 1000; i++) {
      CheckResponse r = server.check("request.headers[x-user]", "alice");
      // A check that finds the pool empty while its prefetch is on its way is UNAVAILABLE "quota
      // adapter has not answered yet" (README "Out-of-process adapters" → "Failures"), as often as
      // the machine is slow; a client retries it, and so does this one, so that the counts below
      // do not depend on timing.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (r.getStatus().getCode() == UNAVAILABLE
          && r.getStatus().getMessage().contains("has not answered yet")
          && System.nanoTime() < deadline) {
        Thread.sleep(5);
        r = server.check("request.headers[x-user]", "alice");
      }
      int code = r.getStatus().getCode();
      assertThat(code).as(r.getStatus().getMessage()).isIn(0, RESOURCE_EXHAUSTED);
      if (code == 0) {
        allowed++;
      } else {
        exhausted++;
        assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(429);
      }
    }
    System.out.printf(
        "quota: %d allowed, %d exhausted, %d adapter calls, amounts %s%n",
        allowed, exhausted, adapter.calls(),
        adapter.requests.stream().map(RemoteQuotaEndToEndTest::askedAmount).toList());
    // A check that finds the pool empty while the adapter's last answer was a full grant passes
    // optimistically during the next prefetch's round trip; what the adapter then refuses of that
    // batch is the overshoot, counted (README "Out-of-process adapters" → "Failures").
    String metrics = server.metrics();
    double granted = ServerHarness.sum(metrics, "offpath_adapter_quota_granted_tokens_total");
    double overshoot = ServerHarness.sum(metrics, "offpath_adapter_quota_overshoot_tokens_total");
    assertThat(granted).isEqualTo(300);
    assertThat(allowed).isEqualTo((int) (granted + overshoot));
    long largestAsk =
        adapter.requests.stream().mapToLong(RemoteQuotaEndToEndTest::askedAmount).max().orElse(0);
    assertThat(overshoot).isLessThanOrEqualTo(largestAsk);
    assertThat(allowed + exhausted).isEqualTo(1000);
    assertThat(adapter.calls()).isLessThanOrEqualTo(1000 / 10 + 10);
    assertThat(adapter.requests)
        .allSatisfy(
            r -> {
              assertThat(OopAdapter.name(OopAdapter.instance(r))).isEqualTo(INSTANCE);
              assertThat(user(r)).isEqualTo("alice");
            });
  }
}
