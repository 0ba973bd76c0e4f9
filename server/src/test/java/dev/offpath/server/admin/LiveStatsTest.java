package dev.offpath.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.offpath.server.admin.LiveStats.Histogram;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveStatsTest {

  private static final double[] BOUNDS = {0.001, 0.01, 0.1, Double.POSITIVE_INFINITY};

  private long checks;
  private long denials;
  private long entries;
  private Histogram latency = Histogram.EMPTY;

  private final LiveStats stats =
      new LiveStats(
          new LiveStats.Source() {
            @Override
            public long checks() {
              return checks;
            }

            @Override
            public long denials() {
              return denials;
            }

            @Override
            public long reportEntries() {
              return entries;
            }

            @Override
            public Histogram checkLatency() {
              return latency;
            }
          });

  @Test
  void ratesArePerSecondOfTheIntervalSinceThePreviousSample() {
    stats.sample(0, 1_000);
    assertThat(stats.samples()).isEmpty();
    checks = 300;
    denials = 30;
    entries = 1_000;
    latency = new Histogram(BOUNDS, new long[] {200, 99, 1, 0});
    stats.sample(2_000_000_000L, 3_000);
    checks = 400;
    latency = new Histogram(BOUNDS, new long[] {200, 99, 1, 100});
    stats.sample(3_000_000_000L, 4_000);

    List<LiveStats.Sample> samples = stats.samples();
    assertThat(samples).hasSize(2);
    LiveStats.Sample first = samples.get(0);
    assertThat(first.epochMillis()).isEqualTo(3_000);
    assertThat(first.checksPerSecond()).isEqualTo(150.0);
    assertThat(first.denialsPerSecond()).isEqualTo(15.0);
    assertThat(first.entriesPerSecond()).isEqualTo(500.0);
    // 300 observations: rank 297 falls in (1 ms, 10 ms], 97 of its 99: 1 + 9 * 97/99 ms.
    assertThat(first.p99Millis()).isCloseTo(1 + 9 * 97.0 / 99, within(1e-9));
    // The second interval's 100 observations were all beyond 100 ms: the largest finite bound.
    assertThat(samples.get(1).p99Millis()).isEqualTo(100.0);
    assertThat(samples.get(1).denialsPerSecond()).isZero();
  }

  @Test
  void p99IsNaNWhenNoCheckCompleted() {
    latency = new Histogram(BOUNDS, new long[] {5, 0, 0, 0});
    stats.sample(0, 0);
    stats.sample(1_000_000_000L, 1_000);
    assertThat(stats.samples().get(0).p99Millis()).isNaN();
  }

  @Test
  void keepsTheLastCapacitySecondsOldestFirst() {
    for (int i = 0; i <= LiveStats.CAPACITY + 10; i++) {
      checks = i * 10L;
      stats.sample(i * 1_000_000_000L, i * 1_000L);
    }
    List<LiveStats.Sample> samples = stats.samples();
    assertThat(samples).hasSize(LiveStats.CAPACITY);
    assertThat(samples.get(0).epochMillis()).isEqualTo(11_000);
    assertThat(samples.get(LiveStats.CAPACITY - 1).epochMillis()).isEqualTo((LiveStats.CAPACITY + 10) * 1_000L);
  }

  @Test
  void quantileInterpolatesInsideTheBucketLikeHistogramQuantile() {
    Histogram before = new Histogram(BOUNDS, new long[] {10, 0, 0, 0});
    Histogram after = new Histogram(BOUNDS, new long[] {10, 100, 0, 0});
    // All 100 new observations in (0.001, 0.01]: the median is half-way.
    assertThat(LiveStats.quantile(0.5, before, after)).isCloseTo(0.0055, within(1e-12));
    // A layout change (a reload of nothing here, but a restarted histogram) counts from zero.
    assertThat(LiveStats.quantile(0.5, new Histogram(new double[] {1}, new long[] {1}), after))
        .isCloseTo(0.01 * 0 + 0.001 + 0.009 * (55 - 10) / 100.0, within(1e-12));
  }
}
