package dev.offpath.cache.quota;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * mixerclient's prefetch simulation ({@code src/istio/prefetch/quota_prefetch_test.cc} in
 * istio/proxy), reproduced so that the margins compare with Mixer's own bounds.
 *
 * <p><b>Setup.</b> One fake clock from 0. The backend is a rolling-window rate server ({@link
 * SimulatedBackends#rollingWindow}): a window of {@code rate} tokens opens with the first request
 * at or after the previous window's end and its grants expire at that end. It decides a grant when
 * asked; the answer reaches the pool 200 ms later. A run has five phases back to back, each lasting
 * ten windows (600 s for 1200/min, 10 s for 20/s), with total traffic of {@code (rate - delta) *
 * 10}, {@code rate * 10}, {@code (rate + delta) * 10}, {@code (rate / 2) * 10} and {@code rate *
 * 100} checks of one token. Checks are evenly spaced by {@code phase length / traffic} in whole
 * milliseconds (so a phase may end a little early, as in the original); after each check the
 * answers due by then are delivered. With two clients (two pools on one rate server) the traffic
 * splits {@code traffic * 3 / 4} and {@code traffic / 4}, and each check goes to the client that is
 * behind its share ({@code n1 / rate1 <= n2 / rate2}, in float). Expected passes per phase: {@code
 * min(rate * 10, traffic)}; margin: {@code |passed - expected| / expected}. Each bound below is
 * Mixer's.
 */
class QuotaPoolSimulationTest {

  private static final Duration RESPONSE_DELAY = Duration.ofMillis(200);
  private static final int WINDOWS_PER_PHASE = 10;

  private record Scenario(long rate, Duration window, long delta) {}

  private static final Scenario PER_MINUTE = new Scenario(1200, Duration.ofMinutes(1), 100);
  private static final Scenario PER_SECOND = new Scenario(20, Duration.ofSeconds(1), 2);

  @Test
  void bigRollingWindowOneClient() {
    assertMargins("big rolling window, one client", run(PER_MINUTE, 1), 0, 0.006, 0.0015, 0, 0.06);
  }

  @Test
  void smallRollingWindowOneClient() {
    assertMargins(
        "small rolling window, one client", run(PER_SECOND, 1), 0.26, 0.23, 0.25, 0.04, 0.23);
  }

  @Test
  void bigRollingWindowTwoClients() {
    assertMargins(
        "big rolling window, two clients", run(PER_MINUTE, 2), 0, 0.006, 0.0015, 0.001, 0.057);
  }

  private static void assertMargins(String name, double[] margins, double... bounds) {
    for (int i = 0; i < bounds.length; i++) {
      assertThat(margins[i]).as("%s, phase %d margin", name, i + 1).isLessThanOrEqualTo(bounds[i]);
    }
  }

  private static double[] run(Scenario s, int clients) {
    FakeTicker ticker = new FakeTicker();
    SimulatedBackends loop = new SimulatedBackends(ticker, RESPONSE_DELAY);
    SimulatedBackends.RateServer server = SimulatedBackends.rollingWindow(s.rate(), s.window());
    QuotaPool[] pools = new QuotaPool[clients];
    for (int i = 0; i < clients; i++) {
      pools[i] = new QuotaPool(loop.backend(server), ticker, PrefetchOptions.defaults());
    }
    long phaseMillis = s.window().toMillis() * WINDOWS_PER_PHASE;
    long[] traffic = {
      (s.rate() - s.delta()) * WINDOWS_PER_PHASE,
      s.rate() * WINDOWS_PER_PHASE,
      (s.rate() + s.delta()) * WINDOWS_PER_PHASE,
      (s.rate() / 2) * WINDOWS_PER_PHASE,
      (s.rate() * 10) * WINDOWS_PER_PHASE
    };
    double[] margins = new double[traffic.length];
    long start = 0;
    for (int phase = 0; phase < traffic.length; phase++) {
      long passed =
          clients == 1
              ? runOne(loop, pools[0], traffic[phase], phaseMillis, start)
              : runTwo(loop, pools[0], pools[1], traffic[phase], phaseMillis, start);
      long expected = Math.min(s.rate() * WINDOWS_PER_PHASE, traffic[phase]);
      margins[phase] = (double) Math.abs(passed - expected) / expected;
      start += phaseMillis;
    }
    return margins;
  }

  private static long runOne(
      SimulatedBackends loop, QuotaPool pool, long traffic, long phaseMillis, long startMillis) {
    long step = phaseMillis / traffic;
    long passed = 0;
    for (long i = 0; i < traffic; i++) {
      loop.advanceTo(Duration.ofMillis(startMillis + i * step).toNanos());
      if (pool.check(1)) {
        passed++;
      }
      loop.deliverDue();
    }
    return passed;
  }

  private static long runTwo(
      SimulatedBackends loop,
      QuotaPool first,
      QuotaPool second,
      long traffic,
      long phaseMillis,
      long startMillis) {
    long rate1 = traffic * 3 / 4;
    long rate2 = traffic / 4;
    long total = rate1 + rate2;
    long step = phaseMillis / total;
    long passed = 0;
    long n1 = 0;
    long n2 = 0;
    for (long i = 0; i < total; i++) {
      loop.advanceTo(Duration.ofMillis(startMillis + i * step).toNanos());
      QuotaPool pool;
      if ((float) n1 / rate1 <= (float) n2 / rate2) {
        pool = first;
        n1++;
      } else {
        pool = second;
        n2++;
      }
      if (pool.check(1)) {
        passed++;
      }
      loop.deliverDue();
    }
    return passed;
  }
}
