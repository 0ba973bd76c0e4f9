package dev.offpath.cache;

import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.ReferencedAttributes.Condition;
import dev.offpath.core.attribute.ReferencedAttributes.MapKey;
import dev.offpath.core.attribute.ReferencedAttributes.Reference;
import dev.offpath.core.attribute.StringMap;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One known shape of reads with its precomputed lookup plan: flat arrays walked on the hit path
 * without allocating. The exact values of a request, in plan order, are: each whole-value attribute
 * of {@code exact}, then for each map in {@code maps} the values of its exact keys.
 *
 * <p>A shape applies to a request when its preconditions hold: every absent attribute absent, every
 * exact attribute present, every map present as a string map, every absent key absent from its map
 * and every exact key present in it. The signature is a seeded 64-bit hash of the exact values; it
 * only picks the candidate entry, which is then verified value by value ({@link #sameValues}), so a
 * collision costs a miss, never a wrong decision.
 *
 * <p>Attributes are read by {@link AttributeIds id} ({@link Attributes#get(int, String)}), so a bag
 * with a slot table answers with array reads. {@link #signature} leaves the exact values it read in
 * a caller's scratch array, which {@link #sameValues} and {@link #values} then use instead of
 * reading the bag again.
 *
 * <p>Immutable and thread-safe.
 */
final class Shape {

  /** Returned by {@link #signature} when the preconditions do not hold; never a real signature. */
  static final long NO_MATCH = 0L;

  private static final long K1 = 0x9E3779B97F4A7C15L;
  private static final long K2 = 0xC2B2AE3D27D4EB4FL;
  private static final long K3 = 0x165667B19E3779F9L;

  private final int id;
  private final ShapeKey key;
  private final String[] absent;
  private final int[] absentIds;
  private final String[] exact;
  private final int[] exactIds;
  private final String[] mapNames;
  private final int[] mapIds;
  private final String[][] mapExactKeys;
  private final String[][] mapAbsentKeys;
  private final int valueCount;
  private final long signatureMask;

  /** {@code signatureMask} is all ones except in tests that force collisions. */
  Shape(int id, ShapeKey key, long signatureMask) {
    this.id = id;
    this.key = key;
    this.signatureMask = signatureMask;
    this.absent = key.absent().toArray(String[]::new);
    this.absentIds = ids(absent);
    this.exact = key.exact().toArray(String[]::new);
    this.exactIds = ids(exact);
    int maps = key.maps().size();
    this.mapNames = new String[maps];
    this.mapExactKeys = new String[maps][];
    this.mapAbsentKeys = new String[maps][];
    int count = exact.length;
    for (int i = 0; i < maps; i++) {
      ShapeKey.MapReads m = key.maps().get(i);
      mapNames[i] = m.map();
      mapExactKeys[i] = m.exactKeys().toArray(String[]::new);
      mapAbsentKeys[i] = m.absentKeys().toArray(String[]::new);
      count += mapExactKeys[i].length;
    }
    this.mapIds = ids(mapNames);
    this.valueCount = count;
  }

  private static int[] ids(String[] names) {
    int[] ids = new int[names.length];
    for (int i = 0; i < names.length; i++) {
      ids[i] = AttributeIds.of(names[i]);
    }
    return ids;
  }

  /**
   * Whether {@code referenced} has exactly this shape, i.e. {@code ShapeKey.of(referenced)} would
   * equal {@link #key()}; answered without building the key, for the store path.
   */
  boolean describes(ReferencedAttributes referenced) {
    Map<String, Reference> attributes = referenced.attributes();
    if (attributes.size() != absent.length + exact.length + mapNames.length) {
      return false;
    }
    for (Map.Entry<String, Reference> e : attributes.entrySet()) {
      String[] expected =
          switch (e.getValue().condition()) {
            case ABSENT -> absent;
            case EXACT -> exact;
            case PRESENT -> mapNames;
          };
      if (indexOf(expected, e.getKey()) < 0) {
        return false;
      }
    }
    int keys = 0;
    for (Map.Entry<MapKey, Reference> e : referenced.mapKeys().entrySet()) {
      int map = indexOf(mapNames, e.getKey().map());
      if (map < 0) {
        continue; // a key of a map whose whole value was read: not part of the shape
      }
      String[] expected =
          e.getValue().condition() == Condition.ABSENT ? mapAbsentKeys[map] : mapExactKeys[map];
      if (indexOf(expected, e.getKey().key()) < 0) {
        return false;
      }
      keys++;
    }
    int expectedKeys = 0;
    for (int i = 0; i < mapNames.length; i++) {
      expectedKeys += mapExactKeys[i].length + mapAbsentKeys[i].length;
    }
    return keys == expectedKeys;
  }

  private static int indexOf(String[] names, String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The reads of a request with exact {@code values} (as {@link #values} made them) under this shape,
   * rebuilt as the evaluation recorded them: for the decision log of a cache hit.
   */
  ReferencedAttributes reads(Object[] values) {
    ReferencedAttributes out = new ReferencedAttributes();
    for (String name : absent) {
      out.attribute(name, null);
    }
    int v = 0;
    for (String name : exact) {
      out.attribute(name, values[v++]);
    }
    for (int m = 0; m < mapNames.length; m++) {
      out.mapPresent(mapNames[m]);
      for (String key : mapExactKeys[m]) {
        out.mapKey(mapNames[m], key, String.valueOf(values[v++]));
      }
      for (String key : mapAbsentKeys[m]) {
        out.mapKey(mapNames[m], key, null);
      }
    }
    return out;
  }

  /** How many exact values a request has under this shape: the scratch size it needs. */
  int valueCount() {
    return valueCount;
  }

  int id() {
    return id;
  }

  ShapeKey key() {
    return key;
  }

  /**
   * The signature of {@code attributes} under this shape, or {@link #NO_MATCH} when the shape's
   * preconditions do not hold for them. On a match, the first {@link #valueCount} elements of
   * {@code scratch} hold the exact values read, in plan order; on no match they are garbage.
   */
  long signature(Attributes attributes, long seed, @Nullable Object[] scratch) {
    for (int i = 0; i < absent.length; i++) {
      if (attributes.get(absentIds[i], absent[i]) != null) {
        return NO_MATCH;
      }
    }
    long h = round(seed, id);
    int n = 0;
    for (int i = 0; i < exact.length; i++) {
      Object value = attributes.get(exactIds[i], exact[i]);
      if (value == null) {
        return NO_MATCH;
      }
      scratch[n++] = value;
      h = hashValue(h, value, seed);
    }
    for (int i = 0; i < mapNames.length; i++) {
      if (!(attributes.get(mapIds[i], mapNames[i]) instanceof StringMap map)) {
        return NO_MATCH;
      }
      for (String k : mapAbsentKeys[i]) {
        if (map.get(k) != null) {
          return NO_MATCH;
        }
      }
      for (String k : mapExactKeys[i]) {
        String value = map.get(k);
        if (value == null) {
          return NO_MATCH;
        }
        scratch[n++] = value;
        h = hashString(round(h, 'm'), value);
      }
    }
    h = fmix(h) & signatureMask;
    return h == NO_MATCH ? 1L : h;
  }

  /**
   * The exact values to store in an entry, from the {@code scratch} of a matching {@link
   * #signature}: string maps copied.
   */
  Object[] values(@Nullable Object[] scratch) {
    Object[] out = new Object[valueCount];
    for (int n = 0; n < valueCount; n++) {
      // After a match every exact value is present (the shape's preconditions).
      Object value = Objects.requireNonNull(scratch[n]);
      out[n] = value instanceof StringMap map ? StringMap.of(map.asMap()) : value;
    }
    return out;
  }

  /**
   * Whether the exact values of a request, left in {@code scratch} by a matching {@link
   * #signature}, are the {@code values} stored in an entry.
   */
  boolean sameValues(Object[] values, @Nullable Object[] scratch) {
    if (values.length != valueCount) {
      return false;
    }
    int n = 0;
    for (; n < exact.length; n++) {
      if (!same(values[n], scratch[n])) {
        return false;
      }
    }
    for (; n < valueCount; n++) {
      if (!values[n].equals(scratch[n])) {
        return false;
      }
    }
    return true;
  }

  /**
   * Strict equality: same Java class and equal, IP addresses also byte for byte (an IPv4 address and
   * its IPv4-mapped form are {@code equals} but not interchangeable for every adapter).
   */
  private static boolean same(Object cached, @Nullable Object value) {
    if (value == null) {
      return false;
    }
    if (cached instanceof StringMap c) {
      return value instanceof StringMap v && c.asMap().equals(v.asMap());
    }
    if (cached.getClass() != value.getClass()) {
      return false;
    }
    if (cached instanceof IpAddress c) {
      return c.identical((IpAddress) value);
    }
    return cached.equals(value);
  }

  private static long hashValue(long h, Object value, long seed) {
    return switch (value) {
      case String s -> hashString(round(h, 's'), s);
      case Long l -> round(round(h, 'l'), l);
      case Boolean b -> round(h, b ? 'T' : 'F');
      case Double d -> round(round(h, 'd'), Double.doubleToLongBits(d));
      case Instant t -> round(round(round(h, 't'), t.getEpochSecond()), t.getNano());
      case Duration d -> round(round(round(h, 'u'), d.getSeconds()), d.getNano());
      case IpAddress ip -> round(round(h, 'i'), ip.hashCode());
      case StringMap map -> round(round(h, 'M'), hashMap(map, seed));
      default -> round(round(h, 'o'), value.hashCode());
    };
  }

  /** Order-independent: the sum of the entries' hashes. */
  private static long hashMap(StringMap map, long seed) {
    long sum = map.size();
    for (Map.Entry<String, String> e : map.asMap().entrySet()) {
      sum += fmix(hashString(hashString(seed, e.getKey()), e.getValue()));
    }
    return sum;
  }

  private static long hashString(long h, String s) {
    int length = s.length();
    h = round(h, length);
    int i = 0;
    for (; i + 3 < length; i += 4) {
      long packed =
          (long) s.charAt(i)
              | (long) s.charAt(i + 1) << 16
              | (long) s.charAt(i + 2) << 32
              | (long) s.charAt(i + 3) << 48;
      h = round(h, packed);
    }
    for (; i < length; i++) {
      h = round(h, s.charAt(i));
    }
    return h;
  }

  private static long round(long h, long v) {
    return Long.rotateLeft(h ^ (v * K2), 31) * K1 + K3;
  }

  private static long fmix(long h) {
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    h ^= h >>> 33;
    return h;
  }

  @Override
  public String toString() {
    return "shape " + id + " " + key;
  }
}
