package dev.offpath.envoy.attributes;

import dev.offpath.core.attribute.StringMap;
import java.util.Collections;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@code request.headers} of a {@link LazyCheckRequest} whose header names are all lower-case ASCII
 * and that has no {@code header_map} (what Envoy sends): {@link #get} finds the last entry with the
 * name in the request's bytes and decodes only its value, as the protobuf map would answer (a
 * repeated name keeps its last value); {@link #asMap} decodes the map once.
 *
 * <p>Thread-safe: the decoded map is unmodifiable and recomputing it is harmless (a racy cache).
 */
final class LazyHeaders implements StringMap {

  private final LazyCheckRequest request;
  private @Nullable Map<String, String> decoded;

  LazyHeaders(LazyCheckRequest request) {
    this.request = request;
  }

  @Override
  public @Nullable String get(String key) {
    CheckRequestIndex x = request.index;
    int[] e = x.entries;
    for (int i = (x.entryCount - 1) * 5; i >= 0; i -= 5) {
      if (e[i] == CheckRequestIndex.HEADERS && request.asciiEquals(e[i + 1], e[i + 2], key)) {
        return request.decode(e[i + 3], e[i + 4]);
      }
    }
    return null;
  }

  @Override
  public Map<String, String> asMap() {
    Map<String, String> m = decoded;
    if (m == null) {
      m = Collections.unmodifiableMap(request.plainHeaders());
      decoded = m;
    }
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return StringMap.equal(this, o);
  }

  @Override
  public int hashCode() {
    return asMap().hashCode();
  }

  @Override
  public String toString() {
    return asMap().toString();
  }
}
