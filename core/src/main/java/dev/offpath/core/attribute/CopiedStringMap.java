package dev.offpath.core.attribute;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/** {@link StringMap} over a {@link Map} that never changes: a copy, or a view of an immutable one. */
record CopiedStringMap(Map<String, String> asMap) implements StringMap {

  static final CopiedStringMap EMPTY = new CopiedStringMap(Map.of());

  @Override
  public @Nullable String get(String key) {
    return asMap.get(key);
  }

  @Override
  public int size() {
    return asMap.size();
  }

  @Override
  public boolean equals(Object o) {
    return StringMap.equal(this, o);
  }

  @Override
  public int hashCode() {
    return asMap.hashCode();
  }

  @Override
  public String toString() {
    return asMap.toString();
  }
}
