package dev.offpath.cache;

import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

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
  private final String[] exact;
  private final String[] mapNames;
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
    this.exact = key.exact().toArray(String[]::new);
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
    this.valueCount = count;
  }

  int id() {
    return id;
  }

  ShapeKey key() {
    return key;
  }

  /**
   * The signature of {@code attributes} under this shape, or {@link #NO_MATCH} when the shape's
   * preconditions do not hold for them.
   */
  long signature(Attributes attributes, long seed) {
    for (String name : absent) {
      if (attributes.get(name) != null) {
        return NO_MATCH;
      }
    }
    long h = round(seed, id);
    for (String name : exact) {
      Object value = attributes.get(name);
      if (value == null) {
        return NO_MATCH;
      }
      h = hashValue(h, value, seed);
    }
    for (int i = 0; i < mapNames.length; i++) {
      if (!(attributes.get(mapNames[i]) instanceof StringMap map)) {
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
        h = hashString(round(h, 'm'), value);
      }
    }
    h = fmix(h) & signatureMask;
    return h == NO_MATCH ? 1L : h;
  }

  /**
   * The exact values of {@code attributes} in plan order, string maps copied. Only call when {@link
   * #signature} matched.
   */
  Object[] values(Attributes attributes) {
    Object[] out = new Object[valueCount];
    int n = 0;
    for (String name : exact) {
      Object value = attributes.get(name);
      out[n++] = value instanceof StringMap map ? StringMap.of(map.asMap()) : value;
    }
    for (int i = 0; i < mapNames.length; i++) {
      StringMap map = (StringMap) attributes.get(mapNames[i]);
      for (String k : mapExactKeys[i]) {
        out[n++] = map.get(k);
      }
    }
    return out;
  }

  /**
   * Whether {@code attributes}, whose signature matched, have exactly the values stored in an entry.
   */
  boolean sameValues(Object[] values, Attributes attributes) {
    if (values.length != valueCount) {
      return false;
    }
    int n = 0;
    for (String name : exact) {
      Object value = attributes.get(name);
      if (value == null || !same(values[n++], value)) {
        return false;
      }
    }
    for (int i = 0; i < mapNames.length; i++) {
      if (!(attributes.get(mapNames[i]) instanceof StringMap map)) {
        return false;
      }
      for (String k : mapExactKeys[i]) {
        if (!values[n++].equals(map.get(k))) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Strict equality: same Java class and equal, IP addresses also byte for byte (an IPv4 address and
   * its IPv4-mapped form are {@code equals} but not interchangeable for every adapter).
   */
  private static boolean same(Object cached, Object value) {
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
