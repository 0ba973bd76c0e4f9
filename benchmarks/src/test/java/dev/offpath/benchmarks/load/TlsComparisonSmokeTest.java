package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.benchmarks.load.LoadOptions.Phase;
import dev.offpath.server.OffpathServer;
import dev.offpath.server.SecurityOptions;
import dev.offpath.server.ServerOptions;
import dev.offpath.server.decisions.DecisionLogOptions;
import dev.offpath.server.tls.TlsOptions;
import dev.offpath.server.tracing.TracingOptions;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code load.sh --tls} for a moment at low rates: certificates made by the openssl CLI, Offpath
 * with TLS and Offpath in plaintext in this JVM (the real runs start them as processes), the client
 * over TLS trusting the run's CA. Every phase runs without an error, the report has every section
 * and ratio; the TLS server refuses a plaintext client, so the TLS numbers are TLS's. No
 * performance is asserted.
 */
class TlsComparisonSmokeTest {

  @TempDir Path dir;

  private static OffpathServer offpath(List<Path> config, SecurityOptions security) throws Exception {
    return OffpathServer.start(
        new ServerOptions(
            config, "127.0.0.1", 0, "127.0.0.1", 0, 0, 1 << 20, false, 10_000,
            Duration.ofSeconds(1), false, 0, ServerOptions.DEFAULT_REPORT_WORKERS,
            ServerOptions.DEFAULT_REPORT_QUEUE, security, DecisionLogOptions.OFF, TracingOptions.OFF));
  }

  @Test
  void comparesTlsWithPlaintextOverEveryCheckPhase() throws Exception {
    Path certs = Files.createDirectories(dir.resolve("certs"));
    TlsFiles tls = TlsFiles.generate(certs);
    assertThat(Files.readString(tls.serverKey())).contains("-----BEGIN PRIVATE KEY-----");
    List<Path> config = Servers.writePolicy(dir);
    LoadOptions options =
        LoadOptions.parse(
            new String[] {
              "--results", dir.resolve("results").toString(),
              "--phases", "capacity,closed,fixed",
              "--warmup", "100ms",
              "--rounds", "1",
              "--step-start", "100",
              "--step-max", "150",
              "--step-duration", "200ms",
              "--step-max-p50", "1m",
              "--bisections", "0",
              "--max-duration", "200ms",
              "--fixed-duration", "300ms",
              "--concurrency", "4",
              "--requests", "64",
              "--users", "8"
            });
    ChannelSecurity secure = ChannelSecurity.tls(tls.caCert());
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    OffpathServer plain = offpath(config, SecurityOptions.DEFAULTS);
    OffpathServer overTls =
        offpath(
            config,
            SecurityOptions.DEFAULTS.withTls(
                new TlsOptions(tls.serverCert(), tls.serverKey(), null, List.of())));
    try (Target plainTarget = Target.inProcess("offpath-plaintext", plain.grpcPort(), -1, plain);
        Target tlsTarget = Target.inProcess("offpath-tls", overTls.grpcPort(), -1, overTls);
        Progress progress = new Progress(new PrintStream(console, true, StandardCharsets.UTF_8))) {
      assertThatThrownBy(
              () ->
                  Servers.verifyPolicy(
                      tlsTarget, CheckTraffic.requests(1, 1), ChannelSecurity.PLAINTEXT))
          .as("a plaintext client against the TLS port")
          .isInstanceOf(StatusRuntimeException.class);
      TlsComparison.Report report =
          new TlsComparison(options, progress)
              .run(EnumSet.of(Phase.CAPACITY, Phase.CLOSED, Phase.FIXED), plainTarget, tlsTarget, secure);

      assertThat(report.capacityPlain()).isNotNull();
      assertThat(report.capacityTls()).isNotNull();
      // Half the plaintext capacity (half the first step when none kept up: a busy machine).
      double capacity = report.capacityPlain().rate();
      assertThat(report.fixedRate()).isEqualTo(capacity > 0 ? capacity / 2 : 50);
      for (PhaseResult r :
          List.of(report.closedPlain(), report.closedTls(), report.fixedPlain(), report.fixedTls())) {
        assertThat(r.errors()).as(r.target() + " " + r.phase() + ": " + r.firstError()).isZero();
        assertThat(r.completed()).as(r.target() + " " + r.phase()).isPositive();
      }
      assertThat(report.fixedTls().target()).isEqualTo("offpath-tls");
      String text = report.render();
      assertThat(text)
          .contains("capacity (open loop): plaintext ", "closed loop (", "fixed rate ")
          .contains("TLS/plaintext: p50 ")
          .contains("client over TLS: TLS")
          .contains("phases: capacity,closed,fixed")
          .doesNotContain("access logs:");
      Path written = TlsComparison.write(text, report.date(), dir.resolve("results"));
      assertThat(Files.readString(dir.resolve("results").resolve("tls-latest.txt")))
          .isEqualTo(Files.readString(written));
    }
    tls.delete();
    assertThat(certs).doesNotExist();
  }
}
