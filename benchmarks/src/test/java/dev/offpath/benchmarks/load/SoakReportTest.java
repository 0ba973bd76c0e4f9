package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The soak's section and target line on synthetic soaks: met only when it ran ten minutes with no
 * Check errors, every entry counted and the heap within the rule; a shorter one is "not measured".
 */
class SoakReportTest {

  private static final long MINUTE = 60_000_000_000L;

  private static LoadReport.Soak soak(
      long durationNanos, IntToDoubleFunction mib, long errors, double counted) {
    int n = (int) (durationNanos / (MINUTE / 2));
    List<HeapGrowth.Sample> samples = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      samples.add(
          new HeapGrowth.Sample(i * MINUTE / 2, (long) (mib.applyAsDouble(i) * (1 << 20)), i * 30_000L, i * 600_000.0));
    }
    Histogram h = LatencySummary.newHistogram();
    long checks = n * 30_000L;
    h.recordValueWithCount(400_000, checks - errors);
    PhaseResult result =
        PhaseResult.single(
            "soak", "offpath", "open loop", 1000, durationNanos, checks, checks - errors - 10, 10,
            errors, errors == 0 ? null : "DEADLINE_EXCEEDED", h, -1);
    long sent = n * 600_000L;
    return new LoadReport.Soak(
        1000, 20_000, 50_000, durationNanos, MINUTE / 2, HeapSampler.METHOD, 40L << 20, samples,
        result, sent, counted < 0 ? sent : counted);
  }

  private static String render(LoadReport.@Nullable Soak soak) {
    return ReportText.render(
        new LoadReport(
            Instant.parse("2026-01-01T00:00:00Z"), List.of("cores: 2"), List.of("phases: soak"), null,
            "pid 1", null, null, null, null, 0, false, null, null, null, 0, null, null, null, soak));
  }

  private static String targetLine(String text) {
    return text.lines().filter(l -> l.contains(ReportText.SOAK_TARGET)).findFirst().orElseThrow();
  }

  @Test
  void aFlatTenMinuteSoakMeetsTheTarget() {
    String text = render(soak(10 * MINUTE, i -> 150 + (i % 3), 0, -1));

    assertThat(text)
        .contains(ReportText.SOAK + " (10m, open loop 1,000 checks/s over 50,000 users, logs 20,000 entries/s)")
        .contains("heap: " + HeapSampler.METHOD)
        .contains("heap after GC before the load: 40.0 MiB; then every 30s:")
        .contains("      0:30           151.0        30,000          600,000")
        .contains("     10:00           152.0       600,000       12,000,000")
        .contains("average of the first third (6 of 20 samples) 151.0 MiB, of the last third 151.0 MiB;")
        .contains("rule: last third <= first third x 1.10 + 8 MiB = 174.1 MiB: no growth")
        .contains("growth (least-squares slope over all samples): ")
        .contains("counted == sent: yes")
        .contains("errors: 0");
    assertThat(targetLine(text)).containsPattern("151->151 MiB, [+-]0\\.\\d\\d MiB/min +met$");
    assertThat(text).contains("1 of 1 measured targets met");
  }

  @Test
  void aGrowingHeapErrorsOrLostEntriesMissIt() {
    assertThat(targetLine(render(soak(10 * MINUTE, i -> 100 + 3 * i, 0, -1))))
        .containsPattern("\\+6\\.00 MiB/min +NOT met$");
    assertThat(render(soak(10 * MINUTE, i -> 100 + 3 * i, 0, -1))).contains(": GREW");
    assertThat(targetLine(render(soak(10 * MINUTE, i -> 150, 3, -1)))).endsWith("NOT met (Check errors)");
    assertThat(targetLine(render(soak(10 * MINUTE, i -> 150, 0, 5)))).endsWith("NOT met (entries counted != sent)");
    assertThat(render(soak(10 * MINUTE, i -> 150, 0, 5))).contains("counted == sent: NO");
  }

  @Test
  void aShorterSoakIsShownButNotMeasured() {
    String text = render(soak(2 * MINUTE, i -> 150, 0, -1));

    assertThat(text).contains(ReportText.SOAK + " (2m, ").contains(": no growth");
    assertThat(targetLine(text)).contains("150->150 MiB, +0.00 MiB/min").endsWith(ReportText.SOAK_SHORT);
    assertThat(text).contains("0 of 0 measured targets met");
  }

  @Test
  void aSoakNotRunIsSkipped() {
    String text = render(null);

    assertThat(text).contains(ReportText.SOAK + "\n" + "-".repeat(ReportText.SOAK.length()) + "\n  skipped");
    assertThat(targetLine(text)).endsWith("skipped (phase soak not run)");
  }
}
