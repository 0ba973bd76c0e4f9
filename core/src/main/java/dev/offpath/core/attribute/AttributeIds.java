package dev.offpath.core.attribute;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

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

  /**
   * A bag's table from attribute ids to its own slot numbers: the slots are the positions of the
   * names in the list given to {@link #slots}. Immutable.
   */
  public static Slots slots(List<String> names) {
    requireNonNull(names, "names");
    int[] ids = new int[names.size()];
    int max = -1;
    for (int i = 0; i < ids.length; i++) {
      ids[i] = of(names.get(i));
      max = Math.max(max, ids[i]);
    }
    int[] table = new int[max + 1];
    java.util.Arrays.fill(table, -1);
    for (int i = 0; i < ids.length; i++) {
      if (table[ids[i]] >= 0) {
        throw new IllegalArgumentException("names: " + names.get(i) + " listed twice");
      }
      table[ids[i]] = i;
    }
    return new Slots(table);
  }

  /**
   * Ids → slots of one bag layout. An id assigned after the table was built cannot name one of its
   * slots (all of them had ids by then), so it reads as no slot.
   */
  public static final class Slots {
    private final int[] table;

    private Slots(int[] table) {
      this.table = table;
    }

    /** The slot of attribute {@code id}, or -1 when the layout has no such attribute. */
    public int slot(int id) {
      return id >= 0 && id < table.length ? table[id] : -1;
    }
  }
}
