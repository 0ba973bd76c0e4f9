package dev.offpath.envoy.attributes;

import dev.offpath.core.attribute.StringMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A {@link StringMap} over a map that never changes, without copying it: a protobuf message's map
 * field (request headers already in lower case, peer labels).
 */
record MapView(Map<String, String> asMap) implements StringMap {

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
