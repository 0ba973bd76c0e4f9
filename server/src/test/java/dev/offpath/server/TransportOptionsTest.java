package dev.offpath.server;

import dev.offpath.server.decisions.DecisionLogOptions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.server.tracing.TracingOptions;
import dev.offpath.server.CliTest.Result;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --event-loop-threads}, {@code --report-workers}, {@code --report-queue}. */
class TransportOptionsTest {

  private static final List<Path> DENY = List.of(ExtAuthzEndToEndTest.EXAMPLES.resolve("deny.yaml"));

  @Test
  @SuppressWarnings("try") // ServerHarness.close() may be interrupted
  void aServerOnOneEventLoopAndOneReportWorkerServesAndSaysSo() throws Exception {
    ServerOptions options =
        new ServerOptions(
            DENY, "127.0.0.1", 0, "127.0.0.1", 0, 0, 1 << 20, false, 10_000,
            Duration.ofSeconds(5), false, 1, 1, 100, SecurityOptions.DEFAULTS, DecisionLogOptions.OFF, TracingOptions.OFF);
    try (ServerHarness h = ServerHarness.start(options)) {
      CheckResponse allowed = h.check("request.path", "/shop");
      CheckResponse denied = h.check("request.path", "/admin");
      assertThat(allowed.getStatus().getCode()).isZero();
      assertThat(denied.getStatus().getCode()).isEqualTo(7);

      String vars = h.admin("/debug/vars").body();
      // The machines this runs on are Linux: the shaded Netty brings its native epoll transport.
      assertThat(vars)
          .contains("\"grpcTransport\" : \"epoll\"")
          .contains("\"grpcEventLoops\" : 1")
          .contains("\"reportWorkers\" : 1")
          .contains("\"reportQueue\" : 100");
    }
  }

  @Test
  @SuppressWarnings("try") // ServerHarness.close() may be interrupted
  void defaultsAreOneEventLoopPerCoreAndTheDefaultPipeline() throws Exception {
    try (ServerHarness h = ServerHarness.start(DENY)) {
      String vars = h.admin("/debug/vars").body();
      assertThat(vars)
          .contains("\"grpcEventLoops\" : " + Runtime.getRuntime().availableProcessors())
          .contains("\"reportWorkers\" : " + ServerOptions.DEFAULT_REPORT_WORKERS)
          .contains("\"reportQueue\" : " + ServerOptions.DEFAULT_REPORT_QUEUE);
    }
  }

  @Test
  void badValuesAreRefusedWithTheirName() {
    assertThatThrownBy(
            () ->
                new ServerOptions(
                    DENY, "127.0.0.1", 0, "127.0.0.1", 0, 0, 1 << 20, false, 10_000,
                    Duration.ofSeconds(5), false, -1, 1, 1, SecurityOptions.DEFAULTS, DecisionLogOptions.OFF, TracingOptions.OFF))
        .hasMessage("eventLoopThreads: -1 (expected: >= 0, 0 for one per core)");
    Result workers = CliTest.run("serve", "--report-workers", "0", "--grpc-port", "0");
    assertThat(workers.exit()).isEqualTo(2);
    assertThat(workers.err()).contains("offpath serve: reportWorkers: 0 (expected: > 0)");
    Result queue = CliTest.run("serve", "--report-queue", "-5", "--grpc-port", "0");
    assertThat(queue.exit()).isEqualTo(2);
    assertThat(queue.err()).contains("offpath serve: reportQueue: -5 (expected: > 0)");
  }
}
