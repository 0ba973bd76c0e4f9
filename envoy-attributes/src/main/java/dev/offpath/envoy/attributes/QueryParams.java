package dev.offpath.envoy.attributes;

import dev.offpath.core.attribute.StringMap;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@code request.query_params}: the query of the request path, decoded on first read (most policies
 * never read it). First occurrence of a name wins; a malformed %-escape keeps the raw text.
 *
 * <p>Thread-safe: the decoded map is immutable and recomputing it is harmless, so a racy cache is
 * enough.
 */
final class QueryParams implements StringMap {

  private final String query;
  private @Nullable Map<String, String> decoded;

  QueryParams(String query) {
    this.query = query;
  }

  @Override
  public @Nullable String get(String key) {
    return asMap().get(key);
  }

  @Override
  public Map<String, String> asMap() {
    Map<String, String> m = decoded;
    if (m == null) {
      m = decode(query);
      decoded = m;
    }
    return m;
  }

  static Map<String, String> decode(String query) {
    Map<String, String> out = new LinkedHashMap<>();
    int hash = query.indexOf('#');
    if (hash >= 0) {
      query = query.substring(0, hash);
    }
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      try {
        out.putIfAbsent(
            URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        out.putIfAbsent(k, v);
      }
    }
    return Collections.unmodifiableMap(out);
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
