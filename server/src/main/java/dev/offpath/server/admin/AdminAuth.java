package dev.offpath.server.admin;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import dev.offpath.core.log.RateLimitedLog;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer-token authentication in front of the admin handlers: a request must carry {@code
 * Authorization: Bearer <token>} with the token read from {@code --admin-token-file} (trailing
 * whitespace trimmed), else 401 with {@code WWW-Authenticate: Bearer} and a fixed body. The token
 * is compared in constant time and never logged. {@code /healthz} and {@code /readyz} stay open
 * (they say only "ok" / "ready", and kubelet probes carry no token). Refusals are counted ({@link
 * #refused()}) and logged rate-limited. Thread-safe; the token is read once, at start.
 */
public final class AdminAuth extends Filter {

  private static final Logger log = LoggerFactory.getLogger(AdminAuth.class);
  private static final Set<String> OPEN = Set.of("/healthz", "/readyz");
  private static final byte[] UNAUTHORIZED = "unauthorized\n".getBytes(StandardCharsets.UTF_8);

  private final byte[] expected;
  private final LongAdder refused = new LongAdder();
  private final RateLimitedLog refusals = RateLimitedLog.of(log);

  private AdminAuth(byte[] expected) {
    this.expected = expected;
  }

  /**
   * Reads the token.
   *
   * @throws IllegalArgumentException when the file cannot be read or holds no token; the message
   *     names the file, never its content
   */
  public static AdminAuth fromFile(Path tokenFile) {
    requireNonNull(tokenFile, "tokenFile");
    String token;
    try {
      token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("--admin-token-file " + tokenFile + ": cannot be read (" + e.getClass().getSimpleName() + ")");
    }
    if (token.length() < 16) {
      throw new IllegalArgumentException("--admin-token-file " + tokenFile + ": token too short (expected: at least 16 characters)");
    }
    return new AdminAuth(("Bearer " + token).getBytes(StandardCharsets.UTF_8));
  }

  /** Requests refused for a missing or wrong token. */
  public long refused() {
    return refused.sum();
  }

  @Override
  public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
    if (OPEN.contains(exchange.getRequestURI().getPath()) || authorized(exchange)) {
      chain.doFilter(exchange);
      return;
    }
    refused.increment();
    refusals.warn("admin-unauthorized", "admin request refused from {}: missing or wrong bearer token", exchange.getRemoteAddress());
    try (exchange) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(401, UNAUTHORIZED.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(UNAUTHORIZED);
      }
    }
  }

  private boolean authorized(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expected);
  }

  @Override
  public String description() {
    return "bearer token";
  }
}
