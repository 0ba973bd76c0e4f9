package dev.offpath.server.remote;

import static dev.offpath.server.remote.OopAdapter.OK;
import static dev.offpath.server.remote.OopAdapter.PERMISSION_DENIED;
import static dev.offpath.server.remote.OopAdapter.UNAVAILABLE;
import static dev.offpath.server.remote.OopAdapter.checkResult;
import static dev.offpath.server.remote.OopAdapter.instance;
import static dev.offpath.server.remote.OopAdapter.message;
import static dev.offpath.server.remote.OopAdapter.stringValue;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DynamicMessage;
import dev.offpath.core.testing.MixerReference;
import dev.offpath.server.ServerHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mixer's dispatch metrics for an out-of-process check handler (Istio's list checker objects, only
 * the address replaced) through a real Offpath: a dispatch per call the handler makes (none for a
 * cache hit), {@code error="false"} for the adapter's decisions, allow or deny, and {@code
 * error="true"} once the adapter is gone and the failure policy (FAIL_CLOSE) answers, as for a
 * built-in handler that failed.
 */
class RemoteDispatchMetricsEndToEndTest {

  private static final String HANDLER = "source-whitelist.handler.istio-system";

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

  private static byte[] listAnswer(DynamicMessage request) {
    String value = stringValue(message(instance(request), "value"));
    return value.equals("mysource")
        ? checkResult(OK, "", 10, 1000)
        : checkResult(PERMISSION_DENIED, value + " is not whitelisted", 0, 0);
  }

  private double dispatches(String metrics, String error) {
    return ServerHarness.sum(
        metrics, "mixer_runtime_dispatch_count_total", "handler", HANDLER, "meshFunction", "listentry",
        "error", error);
  }

  /**
   * /metrics once {@code n} dispatches are counted: a dispatch is counted when the call's future
   * completes, which may be just after the Check's answer has gone out.
   */
  private String awaitDispatches(int n) throws Exception {
    long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (true) {
      String metrics = server.metrics();
      if (dispatches(metrics, "false") + dispatches(metrics, "true") >= n) {
        return metrics;
      }
      assertThat(System.nanoTime()).as("waiting for %d dispatches", n).isLessThan(end);
      Thread.sleep(10);
    }
  }

  @Test
  void checkDispatchesAreCountedPerCallAndFailedWhenTheFailurePolicyAnswers() throws Exception {
    adapter = new OopAdapter(OopAdapter.template("listentry"), RemoteDispatchMetricsEndToEndTest::listAnswer);
    Path config = Files.createDirectories(dir.resolve("config"));
    for (String f : List.of("template-listentry.yaml", "nosession.yaml", "listentryoop.yaml")) {
      Files.copy(MixerReference.file("oop/" + f), config.resolve(f));
    }
    Files.writeString(
        config.resolve("listcheckoop.yaml"),
        Files.readString(MixerReference.file("oop/listcheckoop.yaml"))
            .replace("listadapter:8080", adapter.address()));
    server = ServerHarness.start(List.of(config));

    for (int i = 0; i < 10; i++) {
      assertThat(server.check("source.name", "mysource").getStatus().getCode()).isEqualTo(OK);
    }
    assertThat(server.check("source.name", "intruder").getStatus().getCode())
        .isEqualTo(PERMISSION_DENIED);
    assertThat(adapter.calls()).isEqualTo(2);
    String metrics = awaitDispatches(2);
    assertThat(dispatches(metrics, "false")).as("one per adapter call, none per cache hit").isEqualTo(2);
    assertThat(dispatches(metrics, "true")).isZero();
    assertThat(metrics).contains("adapter=\"offpath.remote\"");
    assertThat(
            ServerHarness.sum(
                metrics, "mixer_runtime_dispatch_duration_seconds_count", "handler", HANDLER))
        .isEqualTo(2);

    adapter.stop();
    assertThat(server.check("source.name", "newcomer").getStatus().getCode()).isEqualTo(UNAVAILABLE);
    metrics = awaitDispatches(3);
    assertThat(dispatches(metrics, "true")).isEqualTo(1);
    assertThat(dispatches(metrics, "false")).isEqualTo(2);
    assertThat(
            ServerHarness.sum(metrics, "offpath_adapter_calls_total", "handler", HANDLER, "result", "unavailable"))
        .isEqualTo(1);
    assertThat(ServerHarness.sum(metrics, "offpath_adapter_calls_in_flight", "handler", HANDLER)).isZero();
  }
}
