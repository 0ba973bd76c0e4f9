package dev.offpath.accesslog;

import dev.offpath.core.attribute.StringMap;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@code request.headers} of an HTTP entry, read from the proto on demand: the headers Envoy was
 * told to log ({@code additional_request_headers_to_log}) plus the ones it logs as fields ({@code
 * :authority}, {@code :path}, {@code :method}, {@code :scheme}, {@code x-request-id}, {@code
 * user-agent}, {@code referer}, {@code x-forwarded-for}). Nothing is copied unless the whole map is
 * asked for. Immutable.
 */
final class RequestHeaders implements StringMap {

  private final HTTPRequestProperties request;
  /**
   * The proto's header map, read once by the mapping: protobuf's generated getter allocates a new
   * empty map field on every call when the entry logged no such headers, and Istio's access log
   * looks up three or four headers per entry.
   */
  private final Map<String, String> logged;

  /** {@code logged} is {@code request.getRequestHeadersMap()}, which the caller already read. */
  RequestHeaders(HTTPRequestProperties request, Map<String, String> logged) {
    this.request = request;
    this.logged = logged;
  }

  @Override
  public @Nullable String get(String key) {
    String v =
        switch (key) {
          case ":authority" -> request.getAuthority();
          case ":path" -> request.getPath();
          case ":scheme" -> request.getScheme();
          case ":method" -> method();
          case "x-request-id" -> request.getRequestId();
          case "user-agent" -> request.getUserAgent();
          case "referer" -> request.getReferer();
          case "x-forwarded-for" -> request.getForwardedFor();
          default -> null;
        };
    if (v != null && !v.isEmpty()) {
      return v;
    }
    return logged.get(key);
  }

  private String method() {
    return switch (request.getRequestMethod()) {
      case METHOD_UNSPECIFIED, UNRECOGNIZED -> "";
      default -> request.getRequestMethod().name();
    };
  }

  @Override
  public Map<String, String> asMap() {
    Map<String, String> m = new HashMap<>(logged);
    for (String k :
        new String[] {
          ":authority", ":path", ":scheme", ":method", "x-request-id", "user-agent", "referer",
          "x-forwarded-for"
        }) {
      String v = get(k);
      if (v != null) {
        m.put(k, v);
      }
    }
    return Map.copyOf(m);
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
