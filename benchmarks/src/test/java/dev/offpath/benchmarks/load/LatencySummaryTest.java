package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {

  @Test
  void percentilesOfAKnownDistribution() {
    Histogram h = LatencySummary.newHistogram();
    for (long micros = 1; micros <= 1000; micros++) {
      h.recordValue(micros * 1_000);
    }
    LatencySummary s = LatencySummary.of(h);
    assertThat(s.count()).isEqualTo(1000);
    // Three significant digits: each value within 0.1% of the exact percentile.
    assertThat((double) s.p50()).isCloseTo(500_000, within(500.0));
    assertThat((double) s.p90()).isCloseTo(900_000, within(900.0));
    assertThat((double) s.p99()).isCloseTo(990_000, within(990.0));
    assertThat((double) s.p999()).isCloseTo(999_000, within(999.0));
    assertThat((double) s.max()).isCloseTo(1_000_000, within(1000.0));
    assertThat(s.mean()).isCloseTo(500_500, within(500.0));
  }

  @Test
  void aSingleOutlierOnlyMovesTheTail() {
    Histogram h = LatencySummary.newHistogram();
    for (int i = 0; i < 999; i++) {
      h.recordValue(200_000);
    }
    h.recordValue(50_000_000);
    LatencySummary s = LatencySummary.of(h);
    assertThat((double) s.p99()).isCloseTo(200_000, within(200.0));
    assertThat((double) s.p999()).isCloseTo(200_000, within(200.0));
    assertThat((double) s.max()).isCloseTo(50_000_000, within(50_000.0));
  }

  @Test
  void anEmptyHistogramIsAllZero() {
    assertThat(LatencySummary.of(LatencySummary.newHistogram()))
        .isEqualTo(new LatencySummary(0, 0, 0, 0, 0, 0, 0));
  }

  @Test
  void formatsMillisAndRatios() {
    assertThat(LatencySummary.millis(1_234_567)).isEqualTo("1.235 ms");
    assertThat(LatencySummary.ratio(3, 2)).isEqualTo("1.50");
    assertThat(LatencySummary.ratio(3, 0)).isEqualTo("n/a");
    assertThat(new LatencySummary(10, 200_000, 300_000, 400_000, 500_000, 600_000, 0).format())
        .isEqualTo(
            "p50 0.200 ms  p90 0.300 ms  p99 0.400 ms  p99.9 0.500 ms  max 0.600 ms  (n=10)");
  }

  @Test
  void plotPointsClimbToTheTail() {
    Histogram h = LatencySummary.newHistogram();
    for (long micros = 1; micros <= 10_000; micros++) {
      h.recordValue(micros * 1_000);
    }
    var points = PercentilePlot.points(h);
    assertThat(points).isNotEmpty();
    for (int i = 1; i < points.size(); i++) {
      assertThat(points.get(i)[0]).isGreaterThanOrEqualTo(points.get(i - 1)[0]);
      assertThat(points.get(i)[1]).isGreaterThanOrEqualTo(points.get(i - 1)[1]);
    }
    assertThat(points.get(points.size() - 1)[1]).isCloseTo(10_000_000, within(10_000.0));
    assertThat(PercentilePlot.niceCeiling(0.37)).isEqualTo(0.5);
    assertThat(PercentilePlot.niceCeiling(3)).isEqualTo(5);
    assertThat(PercentilePlot.niceCeiling(12)).isEqualTo(20);
  }
}
