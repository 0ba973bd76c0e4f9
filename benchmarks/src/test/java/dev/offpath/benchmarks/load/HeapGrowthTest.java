package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/** The soak's growth rule and slope on synthetic heap samples, one every 30 s for ten minutes. */
class HeapGrowthTest {

  private static final long HALF_MINUTE = 30_000_000_000L;

  /** Twenty samples, the i-th (from 1) at i x 30 s with {@code mib.applyAsDouble(i)} MiB. */
  private static List<HeapGrowth.Sample> samples(IntToDoubleFunction mib) {
    List<HeapGrowth.Sample> out = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      out.add(new HeapGrowth.Sample(i * HALF_MINUTE, (long) (mib.applyAsDouble(i) * (1 << 20)), i * 1000L, i * 500.0));
    }
    return out;
  }

  @Test
  void aFlatHeapDidNotGrow() {
    HeapGrowth g = HeapGrowth.of(samples(i -> 120));

    assertThat(g.samples()).isEqualTo(20);
    assertThat(g.third()).isEqualTo(6);
    assertThat(g.firstThirdMiB()).isEqualTo(120);
    assertThat(g.lastThirdMiB()).isEqualTo(120);
    assertThat(g.slopeMiBPerMinute()).isZero();
    assertThat(g.limitMiB()).isCloseTo(140, within(1e-9));
    assertThat(g.noGrowth()).isTrue();
  }

  @Test
  void aSteadilyGrowingHeapGrew() {
    // +1 MiB per sample, 2 MiB per minute: 19 MiB over the soak.
    HeapGrowth g = HeapGrowth.of(samples(i -> 100 + i));

    assertThat(g.slopeMiBPerMinute()).isCloseTo(2, within(1e-6));
    assertThat(g.firstThirdMiB()).isCloseTo(103.5, within(1e-6)); // samples 1..6
    assertThat(g.lastThirdMiB()).isCloseTo(117.5, within(1e-6)); // samples 15..20
    // 117.5 <= 103.5 x 1.1 + 8 = 121.85: within the rule, which a leak this slow on a heap this
    // size passes in ten minutes; the slope in the report shows it.
    assertThat(g.noGrowth()).isTrue();

    HeapGrowth leak = HeapGrowth.of(samples(i -> 100 + 3 * i));
    assertThat(leak.slopeMiBPerMinute()).isCloseTo(6, within(1e-6));
    assertThat(leak.lastThirdMiB()).isCloseTo(152.5, within(1e-6));
    assertThat(leak.limitMiB()).isCloseTo(110.5 * 1.1 + 8, within(1e-6));
    assertThat(leak.noGrowth()).isFalse();
  }

  @Test
  void aNoisyButFlatHeapDidNotGrow() {
    // A cache that fills in the first minute, then wobbles by +-5 MiB around 200 MiB.
    double[] wobble = {4, -5, 3, -2, 5, -4, 1, -3, 2, 0};
    HeapGrowth g = HeapGrowth.of(samples(i -> (i <= 2 ? 150 + 25 * i : 200) + wobble[i % wobble.length]));

    assertThat(g.noGrowth()).isTrue();
    assertThat(g.lastThirdMiB()).isLessThan(g.limitMiB());
    assertThat(g.slopeMiBPerMinute()).isBetween(-1.0, 3.0);
  }

  @Test
  void theRuleIsTenPercentAndEightMiB() {
    // First third 100 MiB: the limit is 118 MiB, inclusive.
    assertThat(HeapGrowth.of(samples(i -> i <= 14 ? 100 : 118)).noGrowth()).isTrue();
    assertThat(HeapGrowth.of(samples(i -> i <= 14 ? 100 : 118.5)).noGrowth()).isFalse();
  }

  @Test
  void theSlopeIsTheLeastSquaresLine() {
    List<HeapGrowth.Sample> s =
        List.of(
            new HeapGrowth.Sample(60_000_000_000L, 10L << 20, 0, 0),
            new HeapGrowth.Sample(120_000_000_000L, 14L << 20, 0, 0),
            new HeapGrowth.Sample(180_000_000_000L, 12L << 20, 0, 0));
    // x = 1, 2, 3 minutes; y = 10, 14, 12: slope = ((-1)(-2) + 0 + (1)(0)) / 2 = 1.
    assertThat(HeapGrowth.slope(s)).isCloseTo(1, within(1e-9));
    assertThat(HeapGrowth.of(s).third()).isEqualTo(1);
    assertThat(HeapGrowth.of(s).firstThirdMiB()).isEqualTo(10);
    assertThat(HeapGrowth.of(s).lastThirdMiB()).isEqualTo(12);
  }

  @Test
  void needsThreeSamples() {
    assertThatThrownBy(() -> HeapGrowth.of(samples(i -> 1).subList(0, 2)))
        .hasMessage("samples: 2 (expected: >= 3)");
    assertThatThrownBy(() -> new HeapGrowth.Sample(0, -1, 0, 0))
        .hasMessage("heapBytes: -1 (expected: >= 0)");
  }
}
