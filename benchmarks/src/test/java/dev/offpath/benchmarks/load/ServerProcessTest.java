package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server processes that end without the driver stopping them are told apart from those it stopped,
 * with the signal; one that exits at start is started once more. Real processes ({@code sh},
 * {@code sleep}, a baseline server JVM).
 */
class ServerProcessTest {

  @TempDir Path dir;

  @Test
  void anExitByAnotherProcessesSignalIsReportedAsNotTheDriversDoing() throws Exception {
    try (ServerProcess p =
        ServerProcess.start("sleeper", List.of("sleep", "60"), 1, -1, dir.resolve("sleeper.log"))) {
      CompletableFuture<String> report = new CompletableFuture<>();
      p.onUnexpectedExit(report::complete);
      p.ready();

      // What the flake looked like: SIGTERM from outside the driver.
      ProcessHandle.of(p.pid()).orElseThrow().destroy();

      assertThat(report.get(10, TimeUnit.SECONDS))
          .startsWith("sleeper (pid " + p.pid() + ") exited with status 143 (SIGTERM), ")
          .contains(" s after it was ready; the driver had NOT stopped it")
          .endsWith("so another process sent the signal");
      assertThatThrownBy(() -> p.ensureAlive("fixed"))
          .hasMessageStartingWith("during or before the fixed phase: sleeper (pid ")
          .hasMessageContaining("status 143 (SIGTERM)");
    }
  }

  @Test
  void aStopByTheDriverIsNoSurprise() throws Exception {
    ServerProcess p =
        ServerProcess.start("sleeper", List.of("sleep", "60"), 1, -1, dir.resolve("sleeper.log"));
    CompletableFuture<String> report = new CompletableFuture<>();
    CompletableFuture<Void> exitHandled = p.onUnexpectedExit(report::complete);

    p.close();
    exitHandled.get(10, TimeUnit.SECONDS);

    assertThat(p.isAlive()).isFalse();
    assertThat(p.exitReport())
        .contains("exited with status 143 (SIGTERM)", "(before it was ready)")
        .endsWith("the driver had stopped it");
    assertThat(report).isNotDone();
  }

  @Test
  void signalsAreNamed() {
    assertThat(ServerProcess.signal(143)).isEqualTo(" (SIGTERM)");
    assertThat(ServerProcess.signal(137)).isEqualTo(" (SIGKILL)");
    assertThat(ServerProcess.signal(129)).isEqualTo(" (SIGHUP)");
    assertThat(ServerProcess.signal(140)).isEqualTo(" (signal 12)");
    assertThat(ServerProcess.signal(0)).isEmpty();
    assertThat(ServerProcess.signal(1)).isEmpty();
  }

  @Test
  void aServerThatExitsAtStartIsStartedOnceMore() throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    AtomicInteger launches = new AtomicInteger();
    List<ServerProcess> started = new ArrayList<>();
    Path log = dir.resolve("baseline-server.log");
    try (Progress progress = new Progress(new PrintStream(console, true, StandardCharsets.UTF_8))) {
      ServerProcess p =
          Servers.startReady(
              () -> {
                int port = ServerProcess.freePort();
                // The first start ends itself with SIGTERM, as the flaky Offpath start did.
                List<String> command =
                    launches.getAndIncrement() == 0
                        ? List.of("sh", "-c", "echo serving; kill -TERM $$")
                        : baselineCommand(port);
                ServerProcess s = ServerProcess.start("baseline", command, port, -1, log);
                started.add(s);
                return s;
              },
              progress);
      try (p) {
        assertThat(p.isAlive()).isTrue();
        p.ensureAlive("start");
      }
    }

    assertThat(launches).hasValue(2);
    assertThat(started.get(0).isAlive()).isFalse();
    assertThat(Files.readString(dir.resolve("baseline-server.failed-start.log"))).isEqualTo("serving\n");
    assertThat(console.toString(StandardCharsets.UTF_8))
        .contains("baseline (pid " + started.get(0).pid() + ") exited with status 143 (SIGTERM)")
        .contains("(before it was ready); the driver had NOT stopped it")
        .contains("starting baseline once more (the failed start's log is ")
        .contains("baseline ready on 127.0.0.1:" + started.get(1).grpcPort());
    assertThat(Files.readString(log)).contains("baseline ext_authz serving");
  }

  private static List<String> baselineCommand(int port) {
    return Servers.baselineCommand(List.of(), "", port);
  }
}
