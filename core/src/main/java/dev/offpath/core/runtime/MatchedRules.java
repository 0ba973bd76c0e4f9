package dev.offpath.core.runtime;

import java.util.Arrays;

/**
 * The rules whose match held in a decision's precondition phase, as their positions in the config
 * of the engine that decided. A decision served from the check cache carries the set its evaluation
 * recorded, so the engine counts rule hits for cached answers too ({@link PolicyEngine#recordHits});
 * tracing names them. Positions only mean something to an engine of the same config version (the
 * check cache never serves a decision across versions).
 *
 * <p>Immutable; built once per evaluated decision (never on a cache hit).
 */
public final class MatchedRules {

  /** No rule matched (or the decision did not come from the engine's rules). */
  public static final MatchedRules NONE = new MatchedRules(new int[0]);

  private final int[] positions;

  private MatchedRules(int[] positions) {
    this.positions = positions;
  }

  /** The rules at {@code positions[0..count)}, in increasing order. */
  static MatchedRules of(int[] positions, int count) {
    return count == 0 ? NONE : new MatchedRules(Arrays.copyOf(positions, count));
  }

  public int size() {
    return positions.length;
  }

  /** The position in the engine's rule list of the {@code i}-th matched rule. */
  public int position(int i) {
    return positions[i];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MatchedRules m && Arrays.equals(positions, m.positions);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(positions);
  }

  @Override
  public String toString() {
    return Arrays.toString(positions);
  }
}
