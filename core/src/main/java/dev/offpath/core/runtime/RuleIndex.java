package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.expr.LeadingEquality;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Which rules of a policy a request can match, so that a check evaluates those rules' {@code match}
 * and not every rule's (Mixer evaluated all of them; with hundreds of generated rules, {@code
 * destination.service.host == "…" && …}, that cost grows with the policy).
 *
 * <p><b>What is indexed.</b> A rule whose match has a {@link LeadingEquality} (an {@code attribute
 * == "constant"}, an {@code ||} of them, or either leading an {@code &&}) is filed under its
 * attribute and constants; every other rule (no match, or any other shape) is a candidate on every
 * request. A request's candidates are the unindexed rules plus, for each indexed attribute, the
 * rules filed under its value; when that attribute is absent or not a string, all the rules filed
 * under it, whose evaluation then fails or answers as it would have without the index.
 *
 * <p><b>Same answer, same reads.</b> A rule left out is one whose leading equality is false for a
 * present string value, and such a match is false without an error and reads nothing but that
 * attribute (see {@link LeadingEquality}): leaving it out changes no decision, no rule hit, no match
 * error metric. The check cache keys a decision by the attributes read, in the order first read
 * (a {@code ReferencedAttributes} keeps insertion order), so the index reads each indexed attribute
 * through the request's bag exactly where the plain evaluation first would: just before the first
 * rule (in policy order) filed under it, which in the plain evaluation reads that attribute before
 * anything else. Candidates are handed out in policy order, so the rules that run run in Mixer's
 * order.
 *
 * <p>Immutable and thread-safe; a {@link Cursor} is confined to one check.
 */
final class RuleIndex {

  private static final int[] NONE = {};

  /** One indexed attribute: where the plain evaluation would first read it, and its rules. */
  private record Key(String name, int id, int first, Map<String, int[]> byValue, int[] all) {}

  private final int size;
  private final long[] always;
  private final Key[] keys;

  private RuleIndex(int size, long[] always, Key[] keys) {
    this.size = size;
    this.always = always;
    this.keys = keys;
  }

  /**
   * Indexes rules by their matches ({@code null}: no match, always a candidate). Rules with {@code
   * included[i]} false are never candidates (the quota phase looks only at rules with quotas).
   */
  static RuleIndex of(List<@Nullable Expression> matches, boolean[] included) {
    requireNonNull(matches, "matches");
    int n = matches.size();
    if (included.length != n) {
      throw new IllegalArgumentException(
          "included: " + included.length + " (expected: " + n + ", one per rule)");
    }
    long[] always = new long[(n + 63) >>> 6];
    Map<String, List<Integer>> allByName = new LinkedHashMap<>();
    Map<String, Map<String, List<Integer>>> byName = new HashMap<>();
    Map<String, Integer> ids = new HashMap<>();
    for (int i = 0; i < n; i++) {
      if (!included[i]) {
        continue;
      }
      Expression match = matches.get(i);
      LeadingEquality lead = match == null ? null : LeadingEquality.of(match);
      if (lead == null) {
        always[i >>> 6] |= 1L << i;
        continue;
      }
      ids.put(lead.attribute(), lead.id());
      allByName.computeIfAbsent(lead.attribute(), k -> new ArrayList<>()).add(i);
      Map<String, List<Integer>> values = byName.computeIfAbsent(lead.attribute(), k -> new HashMap<>());
      for (String v : lead.values()) {
        values.computeIfAbsent(v, k -> new ArrayList<>()).add(i);
      }
    }
    List<Key> keys = new ArrayList<>();
    for (Map.Entry<String, List<Integer>> e : allByName.entrySet()) {
      Map<String, int[]> values = new HashMap<>();
      // Both maps were filled with allByName, key by key.
      requireNonNull(byName.get(e.getKey())).forEach((v, rules) -> values.put(v, ints(rules)));
      int[] all = ints(e.getValue());
      int id = requireNonNull(ids.get(e.getKey()));
      keys.add(new Key(e.getKey(), id, all[0], Map.copyOf(values), all));
    }
    // LinkedHashMap in rule order, so keys are already ordered by their first rule.
    return new RuleIndex(n, always, keys.toArray(Key[]::new));
  }

  private static int[] ints(List<Integer> list) {
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i);
    }
    return out;
  }

  /** How many rules were filed under an attribute (the rest are candidates on every request). */
  int indexed() {
    int count = 0;
    for (Key k : keys) {
      count += k.all.length;
    }
    return count;
  }

  /** The candidates for one request, in policy order, reading {@code attributes} as it goes. */
  Cursor cursor(Attributes attributes) {
    return new Cursor(requireNonNull(attributes, "attributes"));
  }

  /** Hands out a request's candidate rules in policy order; see the class comment. */
  final class Cursor {
    private final Attributes attributes;
    private final long[] candidates;
    private int nextKey;
    private int position;

    private Cursor(Attributes attributes) {
      this.attributes = attributes;
      this.candidates = always.clone();
    }

    /** The next candidate rule's position in the policy, or -1 when there is none. */
    int next() {
      while (true) {
        int bit = nextSetBit(position);
        if (nextKey < keys.length && (bit < 0 || keys[nextKey].first <= bit)) {
          // The plain evaluation would read this attribute now, at its first rule: so do we.
          Key k = keys[nextKey++];
          Object value = attributes.get(k.id, k.name);
          int[] rules = value instanceof String s ? k.byValue.getOrDefault(s, NONE) : k.all;
          for (int r : rules) {
            candidates[r >>> 6] |= 1L << r;
          }
          continue;
        }
        if (bit < 0) {
          return -1;
        }
        position = bit + 1;
        return bit;
      }
    }

    private int nextSetBit(int from) {
      if (from >= size) {
        return -1;
      }
      int w = from >>> 6;
      long word = candidates[w] & (-1L << from);
      while (true) {
        if (word != 0) {
          return (w << 6) + Long.numberOfTrailingZeros(word);
        }
        if (++w == candidates.length) {
          return -1;
        }
        word = candidates[w];
      }
    }
  }

  @Override
  public String toString() {
    return "RuleIndex[" + size + " rules, " + indexed() + " indexed under " + keys.length
        + " attribute(s), " + Arrays.stream(always).map(Long::bitCount).sum() + " always]";
  }
}
