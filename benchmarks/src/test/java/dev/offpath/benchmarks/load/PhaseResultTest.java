package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class PhaseResultTest {

  private static PhaseResult slice(long completed, long latencyNanos, long cpuNanos, String error) {
    Histogram h = LatencySummary.newHistogram();
    h.recordValueWithCount(latencyNanos, completed);
    return PhaseResult.single(
        "fixed-rate", "offpath", "open loop", 1000, 1_000_000_000L, completed, completed - 1, 1, 0,
        error, h, cpuNanos);
  }

  @Test
  void slicesOfAPhaseAddUp() {
    PhaseResult sum = slice(1000, 200_000, 30_000_000, null).plus(slice(3000, 400_000, 90_000_000, "boom"));
    assertThat(sum.completed()).isEqualTo(4000);
    assertThat(sum.throughput()).isEqualTo(2000);
    assertThat(sum.histogram().getTotalCount()).isEqualTo(4000);
    assertThat((double) sum.latency().p50()).isBetween(399_000.0, 401_000.0);
    assertThat(sum.cpuMillisPer1000()).isEqualTo(30.0);
    assertThat(sum.firstError()).isEqualTo("boom");
    assertThat(sum.rounds()).hasSize(2);
    assertThat(sum.rounds().get(1).throughput()).isEqualTo(3000);
    assertThat((double) sum.rounds().get(0).p99()).isBetween(199_000.0, 201_000.0);
  }

  @Test
  void unknownCpuStaysUnknown() {
    PhaseResult sum = slice(10, 200_000, -1, null).plus(slice(10, 200_000, 5, null));
    assertThat(sum.cpuNanos()).isEqualTo(-1);
    assertThat(sum.cpuMillisPer1000()).isEqualTo(-1);
  }

  @Test
  void aRoundUnderNinetyFivePercentOfTheRateFellBehind() {
    // 1 s slices at 1000/s asked: 960 completed keeps up, 900 does not.
    PhaseResult steady = slice(1000, 200_000, 1, null).plus(slice(960, 200_000, 1, null));
    PhaseResult stalled = slice(1000, 200_000, 1, null).plus(slice(900, 200_000, 1, null));

    assertThat(ReportText.behind("baseline", steady, 1000)).isEmpty();
    assertThat(ReportText.behind("baseline", stalled, 1000))
        .isEqualTo(" baseline fell behind the rate in a round (900/s of 1,000/s)");
  }
}
