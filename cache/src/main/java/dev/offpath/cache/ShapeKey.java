package dev.offpath.cache;

import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.ReferencedAttributes.Condition;
import dev.offpath.core.attribute.ReferencedAttributes.MapKey;
import dev.offpath.core.attribute.ReferencedAttributes.Reference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a decision read, without the values: the identity of a {@link Shape}. All lists are sorted, so
 * two evaluations that read the same attributes in a different order have equal keys.
 *
 * @param absent attributes read and not present
 * @param exact attributes whose whole value was read
 * @param maps string maps read only through keys, each with the keys found and not found
 */
record ShapeKey(List<String> absent, List<String> exact, List<MapReads> maps) {

  /** A map read through keys: the keys that were present (values used) and those that were absent. */
  record MapReads(String map, List<String> exactKeys, List<String> absentKeys) {
    MapReads {
      exactKeys = List.copyOf(exactKeys);
      absentKeys = List.copyOf(absentKeys);
    }
  }

  ShapeKey {
    absent = List.copyOf(absent);
    exact = List.copyOf(exact);
    maps = List.copyOf(maps);
  }

  /**
   * The shape of {@code referenced}. Keys read from a map whose whole value was also read are
   * dropped: the whole value already decides them.
   */
  static ShapeKey of(ReferencedAttributes referenced) {
    List<String> absent = new ArrayList<>();
    List<String> exact = new ArrayList<>();
    SortedMap<String, KeyReads> maps = new TreeMap<>();
    for (Map.Entry<String, Reference> e : referenced.attributes().entrySet()) {
      switch (e.getValue().condition()) {
        case ABSENT -> absent.add(e.getKey());
        case EXACT -> exact.add(e.getKey());
        case PRESENT -> maps.put(e.getKey(), new KeyReads());
      }
    }
    for (Map.Entry<MapKey, Reference> e : referenced.mapKeys().entrySet()) {
      KeyReads keys = maps.get(e.getKey().map());
      if (keys == null) {
        // The whole map was read (EXACT): its value covers every key.
        continue;
      }
      (e.getValue().condition() == Condition.ABSENT ? keys.absent : keys.exact).add(e.getKey().key());
    }
    Collections.sort(absent);
    Collections.sort(exact);
    List<MapReads> mapReads = new ArrayList<>(maps.size());
    maps.forEach(
        (name, keys) -> {
          Collections.sort(keys.exact);
          Collections.sort(keys.absent);
          mapReads.add(new MapReads(name, keys.exact, keys.absent));
        });
    return new ShapeKey(absent, exact, mapReads);
  }

  private static final class KeyReads {
    final List<String> exact = new ArrayList<>();
    final List<String> absent = new ArrayList<>();
  }

  /** Mixer's notation: {@code -name}, {@code name}, {@code map[key]}, {@code -map[key]}. */
  @Override
  public String toString() {
    List<String> out = new ArrayList<>();
    absent.forEach(n -> out.add("-" + n));
    exact.forEach(out::add);
    for (MapReads m : maps) {
      m.exactKeys().forEach(k -> out.add(m.map() + "[" + k + "]"));
      m.absentKeys().forEach(k -> out.add("-" + m.map() + "[" + k + "]"));
    }
    return out.toString();
  }
}
