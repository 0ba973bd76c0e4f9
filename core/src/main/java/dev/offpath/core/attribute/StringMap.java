package dev.offpath.core.attribute;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A STRING_MAP attribute value (request headers, labels, JWT claims). Reads go through {@link #get} so
 * that a tracking view can record the keys a decision read instead of the whole map; {@link #asMap}
 * exposes every entry and so counts as reading the whole map. Equality is by entries.
 */
public interface StringMap {

  /** The value under {@code key}, or {@code null} when the key is absent. */
  @Nullable String get(String key);

  /** All entries; reading them makes a decision depend on the whole map. */
  Map<String, String> asMap();

  default int size() {
    return asMap().size();
  }

  /** An immutable map holding a copy of {@code entries}. */
  static StringMap of(Map<String, String> entries) {
    return new CopiedStringMap(Map.copyOf(requireNonNull(entries, "entries")));
  }

  /**
   * A view of {@code entries}, which the caller guarantees never change (a protobuf message's map
   * field): no copy, for the request path.
   */
  static StringMap view(Map<String, String> entries) {
    return new CopiedStringMap(requireNonNull(entries, "entries"));
  }

  /** The empty map. */
  static StringMap empty() {
    return CopiedStringMap.EMPTY;
  }

  /** Equality used by implementations: same entries. */
  static boolean equal(StringMap a, Object b) {
    return b instanceof StringMap other && a.asMap().equals(other.asMap());
  }
}
