package dev.offpath.core.attribute;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Process-wide small integer ids for attribute names, so that a hot lookup can be an array read
 * instead of a string hash. Expressions take the id of each attribute they read when they are
 * compiled ({@link #of}); a bag with a fixed table of attributes maps ids to its slots once, with
 * {@link Slots}, and answers {@link Attributes#get(int, String)} with two array reads.
 *
 * <p>Ids are dense, start at 0, never change and are never reused. They are handed out on first
 * request, so a name's id depends on the order names were first seen: never persist one. The number
 * of names is bounded by the configs loaded (every id comes from a name in a config or in the code).
 *
 * <p>Thread-safe; {@link #of} is meant for compile time, not for the request path.
 */
public final class AttributeIds {

  private static final ConcurrentHashMap<String, Integer> IDS = new ConcurrentHashMap<>();

  private AttributeIds() {}

  /** The id of {@code name}, assigned now if the name is new. */
  public static int of(String name) {
    requireNonNull(name, "name");
    Integer id = IDS.get(name);
    if (id != null) {
      return id;
    }
    synchronized (IDS) {
      return IDS.computeIfAbsent(name, n -> IDS.size());
    }
  }

  /** The slot layout of {@code names}: each name's slot is its position in the list. */
  public static Slots slots(List<String> names) {
    requireNonNull(names, "names");
    List<String> copy = List.copyOf(names);
    int[] ids = new int[copy.size()];
    int max = -1;
    for (int i = 0; i < ids.length; i++) {
      ids[i] = of(copy.get(i));
      max = Math.max(max, ids[i]);
    }
    int[] table = new int[max + 1];
    Arrays.fill(table, -1);
    Map<String, Integer> byName = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      if (table[ids[i]] >= 0) {
        throw new IllegalArgumentException("names: " + copy.get(i) + " listed twice");
      }
      table[ids[i]] = i;
      byName.put(copy.get(i), i);
    }
    return new Slots(copy, Map.copyOf(byName), table);
  }

  /**
   * The slot layout of a bag with a fixed table of attributes: its names in slot order, and the
   * slot of each by id (two array reads) or by name (one hash lookup). An id assigned after the
   * table was built cannot name one of its slots (all of them had ids by then), so it reads as no
   * slot. Immutable.
   */
  public static final class Slots {
    private final List<String> names;
    private final Map<String, Integer> byName;
    private final int[] table;

    private Slots(List<String> names, Map<String, Integer> byName, int[] table) {
      this.names = names;
      this.byName = byName;
      this.table = table;
    }

    /** The slot of attribute {@code id}, or -1 when the layout has no such attribute. */
    public int slot(int id) {
      return id >= 0 && id < table.length ? table[id] : -1;
    }

    /** The slot of attribute {@code name}, or -1 when the layout has no such attribute. */
    public int slot(String name) {
      Integer slot = byName.get(name);
      return slot == null ? -1 : slot;
    }

    /** The number of slots. */
    public int size() {
      return names.size();
    }

    /** The names of the slots of {@code values} (one value per slot) that are not null, in order. */
    public Set<String> present(@Nullable Object[] values) {
      Set<String> out = new LinkedHashSet<>();
      for (int i = 0; i < values.length; i++) {
        if (values[i] != null) {
          out.add(names.get(i));
        }
      }
      return out;
    }
  }
}
