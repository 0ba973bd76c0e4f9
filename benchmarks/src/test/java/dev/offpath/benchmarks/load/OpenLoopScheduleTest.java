package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OpenLoopScheduleTest {

  private static final long START = 1_000_000_000L;
  private static final long SECOND = 1_000_000_000L;

  @Test
  void intendedTimesFollowTheRateWithoutDrift() {
    OpenLoopSchedule s = new OpenLoopSchedule(3, START, SECOND);
    assertThat(s.intendedNanos(0)).isEqualTo(START);
    assertThat(s.intendedNanos(1)).isEqualTo(START + 333_333_333L);
    assertThat(s.intendedNanos(2)).isEqualTo(START + 666_666_666L);
    // Computed from the index, so a third of a second three times is exactly one second.
    assertThat(s.intendedNanos(3)).isEqualTo(START + SECOND);
    assertThat(s.intendedNanos(3_000_000)).isEqualTo(START + 1_000_000 * SECOND);
  }

  @Test
  void totalIsTheRequestsIntendedBeforeTheEnd() {
    assertThat(new OpenLoopSchedule(3, START, SECOND).total()).isEqualTo(3);
    assertThat(new OpenLoopSchedule(1000, START, 2 * SECOND).total()).isEqualTo(2000);
    assertThat(new OpenLoopSchedule(2.5, START, SECOND).total()).isEqualTo(3);
  }

  @Test
  void dueByCountsEveryRequestWhoseIntendedTimeHasPassed() {
    OpenLoopSchedule s = new OpenLoopSchedule(1000, START, SECOND);
    assertThat(s.dueBy(START - 1)).isZero();
    assertThat(s.dueBy(START)).isEqualTo(1);
    assertThat(s.dueBy(s.intendedNanos(5) - 1)).isEqualTo(5);
    assertThat(s.dueBy(s.intendedNanos(5))).isEqualTo(6);
  }

  @Test
  void aLateSenderFindsTheWholeBacklogDueAtOnce() {
    OpenLoopSchedule s = new OpenLoopSchedule(1000, START, SECOND);
    // 250 ms late: 250 requests are owed, to be sent back to back with their original intended times.
    assertThat(s.dueBy(START + 250_000_000L)).isEqualTo(251);
    assertThat(s.dueBy(START + 10 * SECOND)).isEqualTo(s.total());
  }

  @Test
  void dueByAgreesWithIntendedTimesAtAwkwardRates() {
    for (double rate : new double[] {7, 999.9, 12_345.678, 333_333}) {
      OpenLoopSchedule s = new OpenLoopSchedule(rate, START, SECOND);
      for (long i = 0; i < Math.min(s.total() - 1, 5_000); i++) {
        assertThat(s.dueBy(s.intendedNanos(i))).as("rate %s, i %s", rate, i).isEqualTo(i + 1);
        if (s.intendedNanos(i + 1) - 1 >= s.intendedNanos(i)) {
          assertThat(s.dueBy(s.intendedNanos(i + 1) - 1)).as("rate %s, i %s", rate, i).isEqualTo(i + 1);
        }
      }
    }
  }

  @Test
  void rejectsRatesAndDurationsThatAreNotPositive() {
    assertThatThrownBy(() -> new OpenLoopSchedule(0, START, SECOND))
        .hasMessage("ratePerSecond: 0.0 (expected: > 0)");
    assertThatThrownBy(() -> new OpenLoopSchedule(Double.NaN, START, SECOND))
        .hasMessage("ratePerSecond: NaN (expected: > 0)");
    assertThatThrownBy(() -> new OpenLoopSchedule(10, START, 0))
        .hasMessage("durationNanos: 0 (expected: > 0)");
  }
}
