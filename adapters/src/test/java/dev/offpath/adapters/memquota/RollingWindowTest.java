package dev.offpath.adapters.memquota;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The window against a simple model: every grant is kept with its slot and dropped a window later.
 */
class RollingWindowTest {

  private record Grant(long tick, long amount) {}

  @ParameterizedTest
  @CsvSource({"50ms, 7", "1s, 20", "1500ms, 5", "5s, 100", "1h, 1000"})
  void matchesModel(String validDuration, long max) {
    Limit limit = Limit.of(max, dev.offpath.core.adapter.Params.parseDuration(validDuration));
    assertThat(limit.slotCount()).isBetween(1, Limit.MAX_SLOTS);
    assertThat(limit.slotNanos() * limit.slotCount())
        .isGreaterThanOrEqualTo(limit.validDuration().toNanos());
    SplittableRandom random = new SplittableRandom(42);
    long now = 1_000_000_007L;
    RollingWindow window = (RollingWindow) limit.newBucket(now, Long.MAX_VALUE);
    Deque<Grant> model = new ArrayDeque<>();
    long maxStep = limit.slotNanos() * limit.slotCount() / 4;
    for (int step = 0; step < 20_000; step++) {
      now += random.nextLong(0, maxStep + 1);
      long tick = Math.floorDiv(now, limit.slotNanos());
      while (!model.isEmpty() && model.peekFirst().tick + limit.slotCount() <= tick) {
        model.removeFirst();
      }
      long inUse = model.stream().mapToLong(Grant::amount).sum();
      long amount = random.nextLong(1, Math.max(2, max / 3));
      boolean bestEffort = random.nextBoolean();
      long expected = amount <= max - inUse ? amount : bestEffort ? max - inUse : 0;
      long granted = window.allocate(amount, bestEffort, now);
      assertThat(granted).as("step %d", step).isEqualTo(expected);
      if (granted > 0) {
        model.addLast(new Grant(tick, granted));
      }
      assertThat(window.available(now)).isEqualTo(max - inUse - granted);
    }
  }

  @ParameterizedTest
  @CsvSource({"1s, 10, 100", "5s, 50, 100", "1m, 60, 1000", "1h, 60, 60000"})
  void slotSizing(String validDuration, int slots, long slotMillis) {
    Limit limit = Limit.of(1, dev.offpath.core.adapter.Params.parseDuration(validDuration));
    assertThat(limit.slotCount()).isEqualTo(slots);
    assertThat(limit.slotNanos()).isEqualTo(Duration.ofMillis(slotMillis).toNanos());
  }
}
