package dev.offpath.benchmarks.load;

import dev.offpath.server.decisions.DecisionLogOptions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.server.OffpathServer;
import dev.offpath.server.SecurityOptions;
import dev.offpath.server.ServerOptions;
import dev.offpath.server.tracing.TracingOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole driver for a moment at low rates, against Offpath and the baseline in this JVM (the
 * real runs start them as processes): every phase runs, the report has every section, the counts
 * are exact, the plot is self-contained. No performance is asserted.
 */
class LoadDriverSmokeTest {

  @TempDir Path dir;

  private static String targetLine(String targets, String target) {
    return targets.lines().filter(l -> l.contains(target)).findFirst().orElseThrow();
  }

  /**
   * Runs the driver with {@code flags} against an in-process Offpath on the load policy (its check
   * cache of {@code checkCacheSize} entries) and, when asked, an in-process baseline; the progress
   * lines go to {@code console}.
   */
  private LoadReport run(
      String[] flags, int checkCacheSize, boolean withBaseline, ByteArrayOutputStream console)
      throws Exception {
    List<Path> config = Servers.writePolicy(dir);
    LoadOptions options = LoadOptions.parse(flags);
    OffpathServer offpath =
        OffpathServer.start(
            new ServerOptions(
                config, "127.0.0.1", 0, "127.0.0.1", 0, 0, 1 << 20, false, checkCacheSize,
                Duration.ofSeconds(1), false, 0, ServerOptions.DEFAULT_REPORT_WORKERS,
                ServerOptions.DEFAULT_REPORT_QUEUE, SecurityOptions.DEFAULTS, DecisionLogOptions.OFF, TracingOptions.OFF));
    try (Target offpathTarget =
            Target.inProcess("offpath", offpath.grpcPort(), offpath.telemetryPort(), offpath);
        Progress progress = new Progress(new PrintStream(console, true, StandardCharsets.UTF_8))) {
      if (!withBaseline) {
        return new LoadDriver(options, progress).run(null, offpathTarget);
      }
      try (BaselineServer baseline = BaselineServer.start(0);
          Target baselineTarget = Target.inProcess("baseline", baseline.port(), -1, () -> {})) {
        return new LoadDriver(options, progress).run(baselineTarget, offpathTarget);
      }
    }
  }

  @Test
  void runsTheGivenPhasesOnlyWithoutABaseline() throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    LoadReport report =
        run(
            new String[] {
              "--results", dir.resolve("results").toString(),
              "--phases", "ingest,mixed",
              "--warmup", "100ms",
              "--rounds", "1",
              "--mixed-duration", "200ms",
              "--concurrency", "4",
              "--mixed-rate", "300",
              "--log-rate", "2000",
              "--entries-per-message", "10",
              "--ingest-entries", "2000",
              "--requests", "128",
              "--users", "10"
            },
            10_000,
            false,
            console);

    String text = ReportText.render(report);
    assertThat(report.capacityBaseline()).isNull();
    assertThat(report.maxOffpath()).isNull();
    assertThat(report.fixedOffpath()).isNull();
    assertThat(report.baseline()).isNull();
    assertThat(report.ingest()).isNotNull();
    assertThat(report.ingest().exact()).as(text).isTrue();
    assertThat(report.mixedRate()).isEqualTo(300);
    assertThat(report.mixedLogs()).isNotNull();
    assertThat(report.mixedLogs().exact()).as(text).isTrue();
    assertThat(text)
        .contains("baseline: not started (no phase needed it)")
        .contains("open-loop capacity search: skipped (not in --phases)")
        .contains("closed loop: skipped (not in --phases)")
        .contains(ReportText.FIXED + "\n" + "-".repeat(ReportText.FIXED.length()) + "\n  skipped (not in --phases)")
        .contains("p99 ratio streaming/idle: ");
    String targets = text.substring(text.indexOf(ReportText.TARGETS), text.indexOf(ReportText.METHOD));
    assertThat(targetLine(targets, ReportText.CAPACITY_TARGET)).endsWith("skipped (phase capacity not run)");
    assertThat(targetLine(targets, ReportText.P99_TARGET)).endsWith("skipped (phase fixed not run)");
    assertThat(targetLine(targets, ReportText.CPU_TARGET)).endsWith("skipped (phase fixed not run)");
    assertThat(targetLine(targets, ReportText.INGEST_TARGET)).containsPattern("(met|NOT met)$");
    assertThat(targetLine(targets, ReportText.MIXED_TARGET)).contains("NOT met");
    assertThat(targets).containsPattern("\\d of 2 measured targets met");
    assertThat(console.toString(StandardCharsets.UTF_8))
        .contains("warm-up", "ingest offpath: ", "mixed-logs offpath: ")
        .doesNotContain("baseline");
    String html = PercentilePlot.html(report);
    assertThat(html).contains("idle vs access logs").doesNotContain("at a fixed rate (", "closed loop, from");
  }

  /**
   * A six-second soak against Offpath in this JVM: jcmd forces the GCs in it and reads its heap
   * (the driver's own here; in real runs the server's JVM alone).
   */
  @Test
  void soaksWithHeapSamplesAndCountsEveryEntry() throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    // A check cache of 100 entries, fewer than the soak's users: it evicts.
    LoadReport report =
        run(
            new String[] {
              "--results", dir.resolve("results").toString(),
              "--phases", "soak",
              "--soak-duration", "6s",
              "--soak-sample", "2s",
              "--soak-rate", "200",
              "--soak-log-rate", "2000",
              "--soak-users", "300",
              "--warmup", "100ms",
              "--concurrency", "4",
              "--entries-per-message", "10",
              "--requests", "128",
              "--users", "10"
            },
            100,
            false,
            console);

    String text = ReportText.render(report);
    LoadReport.Soak soak = report.soak();
    assertThat(soak).as(text).isNotNull();
    assertThat(soak.samples()).as(text).hasSize(3);
    assertThat(soak.samples()).allSatisfy(s -> assertThat(s.heapBytes()).isPositive());
    assertThat(soak.heapBeforeBytes()).isPositive();
    assertThat(soak.samples().get(2).checksDone()).isGreaterThan(soak.samples().get(0).checksDone());
    assertThat(soak.rate()).isEqualTo(200);
    assertThat(soak.users()).isEqualTo(300);
    assertThat(soak.checks().sent()).isEqualTo(1200);
    assertThat(soak.checks().completed()).as(text).isEqualTo(1200);
    assertThat(soak.checks().errors()).as(text).isZero();
    assertThat(soak.checks().denied()).as("users blocked-N, 1 request in 64").isPositive();
    assertThat(soak.entriesSent()).isEqualTo(12_000);
    assertThat(soak.exact()).as(text).isTrue();
    assertThat(report.ingest()).isNull();
    assertThat(report.mixedLogs()).isNull();
    assertThat(text)
        .contains(ReportText.SOAK + " (6s, open loop 200 checks/s over 300 users, logs 2,000 entries/s)")
        .contains("heap: jcmd <pid> GC.run + GC.heap_info")
        .contains("rule: last third <= first third x 1.10 + 8 MiB = ")
        .contains("logs: 12,000 entries sent, 12,000 counted, counted == sent: yes");
    String targets = text.substring(text.indexOf(ReportText.TARGETS), text.indexOf(ReportText.METHOD));
    assertThat(targetLine(targets, ReportText.SOAK_TARGET)).endsWith(ReportText.SOAK_SHORT);
    assertThat(targets).contains("0 of 0 measured targets met");
    assertThat(console.toString(StandardCharsets.UTF_8))
        .contains("soak: heap before the load ", "soak sample 3 at ", "soak-logs offpath: 12,000 entries sent")
        .contains(" of 0:06, ");
    assertThat(PercentilePlot.html(report)).contains("Check latency over the soak");
  }

  @Test
  void runsEveryPhaseAndWritesTheReportAndPlot() throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    LoadReport report =
        run(
            new String[] {
              "--results", dir.resolve("results").toString(),
              "--warmup", "100ms",
              "--max-duration", "200ms",
              "--step-start", "100",
              "--step-factor", "2",
              "--step-max", "400",
              "--step-duration", "100ms",
              "--step-max-p50", "1s",
              "--fixed-duration", "400ms",
              "--rounds", "2",
              "--mixed-duration", "200ms",
              "--concurrency", "4",
              "--fixed-rate", "400",
              "--log-rate", "2000",
              "--entries-per-message", "10",
              "--ingest-entries", "2000",
              "--requests", "128",
              "--users", "10"
            },
            10_000,
            true,
            console);

    String text = ReportText.render(report);
    assertThat(text)
        .contains("step      100/s: done")
        .contains(ReportText.TITLE, ReportText.MAX, ReportText.FIXED, ReportText.INGEST)
        .contains(ReportText.MIXED, ReportText.TARGETS, ReportText.METHOD)
        .contains("cores: ", "jdk: ", "ratio offpath/baseline: ", "p99 ratio streaming/idle: ");
    assertThat(report.ingest().exact()).as(text).isTrue();
    assertThat(report.mixedLogs().exact()).as(text).isTrue();
    assertThat(report.maxBaseline().errors() + report.maxOffpath().errors()).as(text).isZero();
    assertThat(report.fixedOffpath().completed()).as(text).isEqualTo(report.fixedOffpath().sent());
    assertThat(report.fixedOffpath().denied()).as("request 63 of the 80 of each round is one the policy denies").isPositive();
    assertThat(report.fixedBaseline().denied()).isZero();
    assertThat(report.fixedRate()).isEqualTo(400);
    // Which steps kept up depends on the machine; where the search starts and stops does not.
    for (LoadReport.Capacity c : List.of(report.capacityBaseline(), report.capacityOffpath())) {
      assertThat(c.steps()).isNotEmpty();
      assertThat(c.steps().get(0).rate()).isEqualTo(100);
      assertThat(c.steps()).allSatisfy(s -> assertThat(s.rate()).isLessThanOrEqualTo(400));
    }
    assertThat(console.toString(StandardCharsets.UTF_8))
        .contains("max-throughput baseline: ", "fixed-rate offpath: ", "ingest offpath: ");
    // Every DESIGN.md section 4 target the run can measure is there; CPU needs separate processes.
    String targets = text.substring(text.indexOf(ReportText.TARGETS), text.indexOf(ReportText.METHOD));
    assertThat(targetLine(targets, ReportText.CAPACITY_TARGET)).containsPattern("x \\(.*/s\\) +(met|NOT met)");
    assertThat(targetLine(targets, ReportText.P99_TARGET)).containsPattern(
            "x at 400/s +((met|NOT met) \\(rate from --fixed-rate, not half capacity\\)"
                + "|not judged: .* fell behind the rate in a round .*)$");
    assertThat(targetLine(targets, ReportText.CPU_TARGET)).endsWith("not measured (server in the driver's JVM)");
    assertThat(targetLine(targets, ReportText.INGEST_TARGET)).containsPattern("counted == sent +(met|NOT met)");
    assertThat(targetLine(targets, ReportText.MIXED_TARGET))
        .endsWith("NOT met (logs asked below 50k entries/s)");
    assertThat(targets).containsPattern("\\d of 4 measured targets met");
    // The soak is long, so not among the default phases.
    assertThat(targets.lines().filter(l -> l.contains("skipped")))
        .containsExactly(targetLine(targets, ReportText.SOAK_TARGET));
    assertThat(targetLine(targets, ReportText.SOAK_TARGET)).endsWith("skipped (phase soak not run)");

    List<Path> written = LoadDriver.write(report, dir.resolve("results"));
    assertThat(dir.resolve("results/latest.txt")).hasContent(text);
    String html = Files.readString(written.get(1));
    assertThat(html).contains("<svg", "<path", "offpath").doesNotContain("<script", "src=", "href=", "http:");
  }
}
