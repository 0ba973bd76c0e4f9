package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CapacitySearchTest {

  /** Runs a search against a server that keeps up exactly below {@code capacity}; returns the rates tried. */
  private static List<Double> search(CapacitySearch s, double capacity) {
    List<Double> rates = new ArrayList<>();
    while (!s.done()) {
      double rate = s.nextRate();
      rates.add(rate);
      s.record(new CapacitySearch.Step(rate, rate, 1, 1, rate <= capacity));
    }
    return rates;
  }

  @Test
  void climbsByTheFactorThenBisectsGeometrically() {
    CapacitySearch s = new CapacitySearch(1000, 2, 1e6, 2);
    List<Double> rates = search(s, 5000);
    assertThat(rates.subList(0, 4)).containsExactly(1000.0, 2000.0, 4000.0, 8000.0);
    assertThat(rates.get(4)).isCloseTo(Math.sqrt(4000 * 8000), within(1e-6)); // 5657: fails
    assertThat(rates.get(5)).isCloseTo(Math.sqrt(4000 * Math.sqrt(4000 * 8000)), within(1e-6)); // 4757: passes
    assertThat(rates).hasSize(6);
    assertThat(s.capacity()).isCloseTo(4757, within(1.0));
    assertThat(s.steps()).hasSize(6);
  }

  @Test
  void aServerFasterThanTheCeilingStopsTheClimb() {
    CapacitySearch s = new CapacitySearch(1000, 10, 50_000, 3);
    assertThat(search(s, Double.MAX_VALUE)).containsExactly(1000.0, 10_000.0);
    assertThat(s.capacity()).isEqualTo(10_000);
  }

  @Test
  void aServerThatNeverKeepsUpHasNoCapacityAndTheSearchGoesDown() {
    CapacitySearch s = new CapacitySearch(1000, 2, 1e6, 2);
    assertThat(search(s, 0)).containsExactly(1000.0, 500.0, 250.0);
    assertThat(s.capacity()).isZero();
  }

  @Test
  void keptUpNeedsEveryCallTheRateAndALowMedian() {
    PhaseResult fine = result(1000, 1000, 0, 1_000_000);
    assertThat(CapacitySearch.keptUp(fine, 1000, 10_000_000)).isTrue();
    assertThat(CapacitySearch.keptUp(fine, 1100, 10_000_000)).as("completions < 95%% of the rate").isFalse();
    assertThat(CapacitySearch.keptUp(result(1000, 1000, 0, 50_000_000), 1000, 10_000_000))
        .as("median over the bound").isFalse();
    assertThat(CapacitySearch.keptUp(result(1000, 999, 1, 1_000_000), 1000, 10_000_000))
        .as("an error").isFalse();
  }

  @Test
  void rejectsBadParameters() {
    assertThatThrownBy(() -> new CapacitySearch(0, 2, 1e6, 2)).hasMessage("start: 0.0 (expected: > 0)");
    assertThatThrownBy(() -> new CapacitySearch(1, 1, 1e6, 2)).hasMessage("factor: 1.0 (expected: > 1)");
    assertThatThrownBy(() -> new CapacitySearch(1, 2, 1e6, -1))
        .hasMessage("bisections: -1 (expected: >= 0)");
  }

  private static PhaseResult result(long sent, long completed, long errors, long latencyNanos) {
    var h = LatencySummary.newHistogram();
    h.recordValueWithCount(latencyNanos, Math.max(1, completed));
    return PhaseResult.single(
        "step", "offpath", "open loop", 1000, 1_000_000_000L, sent, completed, 0, errors, null, h, -1);
  }
}
