package dev.offpath.benchmarks.load;

import java.util.ArrayList;
import java.util.List;

/**
 * How the ingest comparisons ({@link IstioConfigIngest}, {@link OutOfProcessLoad}) run and sum up
 * their rounds: rounds numbered {@code 1 - WARM_UP .. --rounds}, the ones up to 0 full-size warm-ups
 * that are not reported, and each variant's median round beside its rate over all rounds.
 */
final class IngestRounds {

  /**
   * Full-size rounds per variant before the measured ones. After one quarter-size warm-up a
   * quiet-machine run measured metrics-only at 240k/s in rounds 1 and 2 and 473k/s in round 3, most
   * likely servers still compiling. Targets are judged on the median round, which one stalled or
   * late-compiled round cannot move.
   */
  static final int WARM_UP = 2;

  private IngestRounds() {}

  /** The first round's number: warm-ups are numbered up to 0. */
  static int first() {
    return 1 - WARM_UP;
  }

  /** {@code warm-up k } or {@code round r }, as progress lines name a round. */
  static String label(int round) {
    return round <= 0 ? "warm-up " + (round + WARM_UP) + " " : "round " + round + " ";
  }

  /** The median of {@code values} (the mean of the middle two for an even count). */
  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
