package dev.offpath.server.admin;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An admin path whose answer depends on the request (its query) or is not text: {@code
 * /debug/jfr?seconds=N}, {@code /debug/threads}. Registered with {@link
 * AdminServer.Builder#endpoint}; called on the admin server's own pool, so it may take time (a JFR
 * recording waits out its duration), but it holds one of the pool's few threads while it does.
 */
@FunctionalInterface
public interface AdminEndpoint {

  /** Answers one GET; an exception is a 500 and a log line. */
  Response serve(Request request) throws IOException;

  /**
   * One GET on an endpoint.
   *
   * @param query the raw query string, or null
   * @param remote the peer's address
   */
  record Request(@Nullable String query, InetAddress remote) {

    public Request {
      requireNonNull(remote, "remote");
    }

    /** The first value of query parameter {@code name}, decoded, or null when absent. */
    public @Nullable String parameter(String name) {
      return parameters().get(name);
    }

    /** Query parameters, first value of each, decoded; at most 32 are read. */
    public Map<String, String> parameters() {
      Map<String, String> out = new LinkedHashMap<>();
      if (query == null || query.isEmpty()) {
        return out;
      }
      for (String pair : query.split("&", 33)) {
        if (out.size() == 32) {
          break;
        }
        int eq = pair.indexOf('=');
        String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        out.putIfAbsent(key, value);
      }
      return out;
    }
  }

  /** An answer: status, content type, body, and extra headers (e.g. {@code Content-Disposition}). */
  record Response(int status, String contentType, byte[] body, Map<String, String> headers) {

    public Response {
      requireNonNull(contentType, "contentType");
      requireNonNull(body, "body");
      headers = Map.copyOf(headers);
    }

    public static Response text(int status, String body) {
      return new Response(
          status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8), Map.of());
    }
  }
}
