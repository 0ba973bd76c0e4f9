package dev.offpath.server.remote;

import static dev.offpath.server.remote.OopAdapter.OK;
import static dev.offpath.server.remote.OopAdapter.PERMISSION_DENIED;
import static dev.offpath.server.remote.OopAdapter.RESOURCE_EXHAUSTED;
import static dev.offpath.server.remote.OopAdapter.UNAVAILABLE;
import static dev.offpath.server.remote.OopAdapter.checkResult;
import static dev.offpath.server.remote.OopAdapter.instance;
import static dev.offpath.server.remote.OopAdapter.message;
import static dev.offpath.server.remote.OopAdapter.stringValue;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DynamicMessage;
import dev.offpath.core.testing.MixerReference;
import dev.offpath.server.ServerHarness;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Out-of-process adapters failing behind a real Offpath: killed (its server shut down), then
 * started again on the same port. Each check handler follows its {@code offpath.dev/failure-policy}
 * (FAIL_CLOSE, the default: 503 never cached; FAIL_OPEN: allowed), a hung adapter is cut at {@code
 * connection.timeout}, a quota adapter down follows the pool's policy (never a 429), and once the
 * adapter is back the Checks are its decisions again. Waits are bounded polls for a state.
 */
class RemoteFailureEndToEndTest {

  private static final Duration AWAIT = Duration.ofSeconds(60);
  private static final String CLOSED = "closed.handler.istio-system";
  private static final String OPEN = "open.handler.istio-system";

  @TempDir Path dir;
  private ServerHarness server;
  private OopAdapter closed;
  private OopAdapter open;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    for (OopAdapter a : new OopAdapter[] {closed, open}) {
      if (a != null) {
        a.close();
      }
    }
  }

  /** Allows every value but those starting with {@code bad}, valid 60 s. */
  private static byte[] list(DynamicMessage request) {
    String value = stringValue(message(instance(request), "value"));
    return value.startsWith("bad")
        ? checkResult(PERMISSION_DENIED, value + " is listed", 0, 0)
        : checkResult(OK, "", 60, 1000);
  }

  /**
   * Istio's listentry template, an adapter {@code lister}, handler {@code closed} (default policy)
   * for path /closed and {@code open} (FAIL_OPEN) for /open, each timing out after 500 ms.
   */
  private void startListCheckers() throws Exception {
    closed = new OopAdapter(OopAdapter.template("listentry"), RemoteFailureEndToEndTest::list);
    open = new OopAdapter(OopAdapter.template("listentry"), RemoteFailureEndToEndTest::list);
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.copy(
        MixerReference.file("oop/template-listentry.yaml"), config.resolve("template-listentry.yaml"));
    Files.writeString(
        config.resolve("lister.yaml"),
        """
        apiVersion: config.istio.io/v1alpha2
        kind: adapter
        metadata: {name: lister, namespace: istio-system}
        spec: {session_based: false, templates: [listentry]}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: source, namespace: istio-system}
        spec:
          template: listentry
          params: {value: source.name | "unknown"}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: closed, namespace: istio-system}
        spec:
          adapter: lister
          connection: {address: "%s", timeout: 500ms}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata:
          name: open
          namespace: istio-system
          annotations: {offpath.dev/failure-policy: FAIL_OPEN}
        spec:
          adapter: lister
          connection: {address: "%s", timeout: 500ms}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: closed, namespace: istio-system}
        spec:
          match: request.path == "/closed"
          actions:
          - {handler: closed, instances: [source]}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: open, namespace: istio-system}
        spec:
          match: request.path == "/open"
          actions:
          - {handler: open, instances: [source]}
        """
            .formatted(closed.address(), open.address()));
    server = ServerHarness.start(List.of(config));
  }

  private CheckResponse check(String path, String source) {
    return server.check("request.path", path, "source.name", source);
  }

  private double calls(String handler, String result) throws Exception {
    return ServerHarness.sum(
        server.metrics(), "offpath_adapter_calls_total", "handler", handler, "result", result);
  }

  @Test
  void aKilledCheckAdapterFollowsEachPolicyAndIsAskedAgainOnceBack() throws Exception {
    startListCheckers();
    assertThat(check("/closed", "alice").getStatus().getCode()).isEqualTo(OK);
    assertThat(check("/closed", "bad-mallory").getStatus().getCode()).isEqualTo(PERMISSION_DENIED);
    assertThat(check("/open", "bad-mallory").getStatus().getCode()).isEqualTo(PERMISSION_DENIED);

    closed.stop();
    open.stop();

    // FAIL_CLOSE: 503 "policy adapter unavailable", every time (never cached), for any value.
    for (int i = 0; i < 10; i++) {
      CheckResponse r = check("/closed", "bob");
      assertThat(r.getStatus().getCode()).isEqualTo(UNAVAILABLE);
      assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(503);
      assertThat(r.getStatus().getMessage()).contains("policy adapter unavailable");
    }
    // Answers already cached stay as they were.
    assertThat(check("/closed", "alice").getStatus().getCode()).isEqualTo(OK);
    // FAIL_OPEN: allowed, even a value the adapter would deny.
    for (int i = 0; i < 10; i++) {
      CheckResponse r = check("/open", "bad-trudy");
      assertThat(r.getStatus().getCode()).as(r.getStatus().getMessage()).isEqualTo(OK);
    }
    assertThat(calls(CLOSED, "unavailable") + calls(CLOSED, "circuit_open")).isPositive();
    assertThat(calls(OPEN, "unavailable") + calls(OPEN, "circuit_open")).isPositive();

    // Back on the same port: the Checks are the adapter's decisions again (after gRPC's reconnect
    // backoff and the breaker's probe), and nothing of the outage was cached.
    closed.restart();
    open.restart();
    await("the closed handler's adapter to decide again", () -> check("/closed", "bob").getStatus().getCode() == OK);
    assertThat(check("/closed", "bad-bob").getStatus().getCode()).isEqualTo(PERMISSION_DENIED);
    await(
        "the open handler's adapter to decide again",
        () -> check("/open", "bad-trudy").getStatus().getCode() == PERMISSION_DENIED);
    assertThat(closed.requests)
        .anySatisfy(r -> assertThat(stringValue(message(instance(r), "value"))).isEqualTo("bob"));
  }

  @Test
  void aHungAdapterIsCutAtItsTimeout() throws Exception {
    startListCheckers();
    // Answers after 5 s; the handlers' timeout is 500 ms.
    for (OopAdapter a : new OopAdapter[] {closed, open}) {
      a.answer(
          r -> {
            try {
              Thread.sleep(5_000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return list(r);
          });
    }
    CheckResponse r = check("/closed", "carol");
    assertThat(r.getStatus().getCode()).isEqualTo(UNAVAILABLE);
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(503);
    assertThat(check("/open", "bad-carol").getStatus().getCode()).isEqualTo(OK);
    assertThat(calls(CLOSED, "timeout")).isEqualTo(1.0);
    assertThat(calls(OPEN, "timeout")).isEqualTo(1.0);
  }

  @Test
  void aQuotaAdapterDownFollowsThePoolsPolicyNeverA429Storm() throws Exception {
    AtomicLong budget = new AtomicLong(1_000_000);
    OopAdapter quota =
        new OopAdapter(OopAdapter.template("quota"), r -> RemoteQuotaEndToEndTest.grantFrom(budget, r));
    closed = quota;
    server =
        ServerHarness.start(List.of(RemoteQuotaEndToEndTest.config(dir, quota.address(), "")));
    assertThat(server.check("request.headers[x-user]", "alice").getStatus().getCode()).isEqualTo(OK);

    quota.stop();
    // A user whose pool is new: every prefetch fails. FAIL_CLOSE denies 503, never 429.
    int unavailable = 0;
    for (int i = 0; i < 100; i++) {
      CheckResponse r = server.check("request.headers[x-user]", "bob");
      int code = r.getStatus().getCode();
      assertThat(code).as(r.getStatus().getMessage()).isIn(OK, UNAVAILABLE).isNotEqualTo(RESOURCE_EXHAUSTED);
      if (code == UNAVAILABLE) {
        unavailable++;
        assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(503);
        assertThat(r.getStatus().getMessage())
            .containsAnyOf("quota adapter unavailable", "quota adapter has not answered yet");
      }
    }
    // Until the failure is known, the new pool's first optimistic batch (the minimum prefetch, 10)
    // may pass; nothing after it.
    assertThat(unavailable).isGreaterThanOrEqualTo(90);

    quota.restart();
    await(
        "the quota adapter to grant again",
        () -> server.check("request.headers[x-user]", "bob").getStatus().getCode() == OK);
    assertThat(quota.requests.stream().map(RemoteQuotaEndToEndTest::user)).contains("bob");
  }

  @Test
  void aQuotaAdapterDownWithFailOpenPassesChecks() throws Exception {
    OopAdapter quota =
        new OopAdapter(
            OopAdapter.template("quota"),
            r -> RemoteQuotaEndToEndTest.grantFrom(new AtomicLong(1_000_000), r));
    closed = quota;
    server =
        ServerHarness.start(
            List.of(
                RemoteQuotaEndToEndTest.config(
                    dir, quota.address(), "offpath.dev/failure-policy: FAIL_OPEN")));
    quota.stop();
    for (int i = 0; i < 100; i++) {
      CheckResponse r = server.check("request.headers[x-user]", "dave");
      assertThat(r.getStatus().getCode()).as(r.getStatus().getMessage()).isEqualTo(OK);
    }
    assertThat(
            ServerHarness.sum(
                server.metrics(), "offpath_adapter_calls_total", "handler",
                RemoteQuotaEndToEndTest.HANDLER, "result", "ok"))
        .isZero();
  }

  private static void await(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }
}
