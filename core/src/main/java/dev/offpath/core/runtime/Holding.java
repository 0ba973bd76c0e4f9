package dev.offpath.core.runtime;

/** Releases a held engine once a decision made with it is known. */
final class Holding {

  private Holding() {}

  /**
   * Releases {@code engine} now when {@code outcome} is known, else when it completes; returns
   * {@code outcome} (a known decision unchanged, so the common path allocates nothing).
   */
  static Outcome release(PolicyEngine engine, Outcome outcome) {
    Decision now = outcome.now();
    if (now != null) {
      engine.release();
      return now;
    }
    return outcome.map(
        d -> {
          engine.release();
          return d;
        });
  }
}
