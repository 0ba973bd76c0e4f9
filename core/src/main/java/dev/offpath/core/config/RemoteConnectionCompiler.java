package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.isNull;
import static dev.offpath.core.config.YamlNodes.text;

import dev.offpath.core.adapter.Params;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.YamlNodes.Entry;
import dev.offpath.core.remote.RemoteAuthentication;
import dev.offpath.core.remote.RemoteAuthentication.AuthHeader;
import dev.offpath.core.remote.RemoteConnection;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;

/**
 * A handler's {@code spec.connection} (Mixer's {@code policy.v1beta1.Connection}, README
 * "Out-of-process adapters"): {@code address} (required, non-empty), {@code timeout} (a Go-style
 * duration, > 0; {@link RemoteConnection#DEFAULT_TIMEOUT} when absent) and {@code authentication}
 * with exactly one of {@code tls} ({@code caCertificates}, {@code tokenPath}, {@code authHeader}
 * PLAIN|BEARER, {@code customHeader}, {@code serverName}) and {@code mutual} ({@code privateKey},
 * {@code clientCertificate}, {@code caCertificates}, {@code serverName}). Keys in camelCase or
 * snake_case. File paths must be non-empty strings; the files are read by the runtime when it
 * builds the channel, never at load.
 *
 * <p>Stateless; errors are reported to the {@link Compilation} (category HANDLER) at the offending
 * line.
 */
final class RemoteConnectionCompiler {

  private final ConfigObject o;
  private final String what;
  private final Compilation c;
  private boolean failed;

  RemoteConnectionCompiler(ConfigObject o, String what, Compilation c) {
    this.o = o;
    this.what = what;
    this.c = c;
  }

  /** The connection, or null after reporting its errors. */
  @Nullable RemoteConnection compile(@Nullable Entry connection) {
    if (connection == null || isNull(connection.value())) {
      error(o.specLine(), "missing connection (expected: connection.address of the adapter)");
      return null;
    }
    if (!(connection.value() instanceof MappingNode spec)) {
      error(connection.line(), "connection: expected a map with address, timeout, authentication");
      return null;
    }
    Map<String, Entry> fields =
        c.known(
            o, spec, Category.HANDLER, what + ": connection", "address", "timeout", "authentication");
    Entry a = fields.get("address");
    String address = a == null ? null : text(a.value());
    if (address == null || address.isBlank()) {
      error(a == null ? connection.line() : a.line(), "connection.address: missing or empty");
    }
    Duration timeout = RemoteConnection.DEFAULT_TIMEOUT;
    Entry t = fields.get("timeout");
    if (t != null && !isNull(t.value())) {
      String text = text(t.value());
      try {
        timeout = Params.parseDuration(text == null ? "" : text);
        if (timeout.isNegative() || timeout.isZero()) {
          error(t.line(), "connection.timeout: " + text + " (expected: > 0)");
        }
      } catch (IllegalArgumentException | ArithmeticException e) {
        error(
            t.line(),
            "connection.timeout: '" + text + "' is not a duration (expected e.g. 500ms, 2s)");
      }
    }
    RemoteAuthentication auth = authentication(fields.get("authentication"));
    if (failed || address == null) {
      return null;
    }
    return new RemoteConnection(address.trim(), timeout, auth);
  }

  private @Nullable RemoteAuthentication authentication(@Nullable Entry e) {
    if (e == null || isNull(e.value())) {
      return null;
    }
    if (!(e.value() instanceof MappingNode m)) {
      error(e.line(), "connection.authentication: expected a map with tls or mutual");
      return null;
    }
    String at = what + ": connection.authentication";
    Map<String, Entry> kinds = c.known(o, m, Category.HANDLER, at, "tls", "mutual");
    Entry tls = present(kinds.get("tls"));
    Entry mutual = present(kinds.get("mutual"));
    if ((tls == null) == (mutual == null)) {
      error(
          e.line(),
          "connection.authentication: "
              + (tls == null ? "neither tls nor mutual" : "both tls and mutual")
              + " (expected: exactly one)");
      return null;
    }
    if (tls != null) {
      Map<String, Entry> f =
          fields(
              tls, "tls", "caCertificates", "tokenPath", "authHeader", "customHeader", "serverName");
      if (f == null) {
        return null;
      }
      String ca = path(f, "caCertificates", "tls", tls.line(), true);
      String token = path(f, "tokenPath", "tls", tls.line(), false);
      String custom = optional(f, "customHeader", "tls");
      AuthHeader header = AuthHeader.PLAIN;
      Entry h = present(f.get("authHeader"));
      if (h != null) {
        String text = text(h.value());
        try {
          header = AuthHeader.valueOf(String.valueOf(text).trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException ex) {
          error(
              h.line(),
              "connection.authentication.tls.authHeader: '"
                  + text
                  + "' (expected: PLAIN or BEARER)");
        }
        if (custom != null) {
          error(
              h.line(),
              "connection.authentication.tls: both authHeader and customHeader (expected: one)");
        }
      }
      String serverName = optional(f, "serverName", "tls");
      return ca == null || failed
          ? null
          : new RemoteAuthentication.Tls(ca, token, header, custom, serverName);
    }
    Entry mu = java.util.Objects.requireNonNull(mutual, "mutual");
    Map<String, Entry> f =
        fields(mu, "mutual", "privateKey", "clientCertificate", "caCertificates", "serverName");
    if (f == null) {
      return null;
    }
    String key = path(f, "privateKey", "mutual", mu.line(), true);
    String cert = path(f, "clientCertificate", "mutual", mu.line(), true);
    String ca = path(f, "caCertificates", "mutual", mu.line(), true);
    String serverName = optional(f, "serverName", "mutual");
    return key == null || cert == null || ca == null || failed
        ? null
        : new RemoteAuthentication.Mutual(key, cert, ca, serverName);
  }

  private @Nullable Map<String, Entry> fields(Entry e, String name, String... keys) {
    if (!(e.value() instanceof MappingNode m)) {
      error(e.line(), "connection.authentication." + name + ": expected a map");
      return null;
    }
    return c.known(o, m, Category.HANDLER, what + ": connection.authentication." + name, keys);
  }

  /** A file path: a non-empty string; null (after reporting when {@code required}) otherwise. */
  private @Nullable String path(
      Map<String, Entry> f, String key, String parent, int parentLine, boolean required) {
    Entry e = present(f.get(key));
    String field = "connection.authentication." + parent + "." + key;
    if (e == null) {
      if (required) {
        error(parentLine, field + ": missing (expected: a file path)");
      }
      return null;
    }
    String text = text(e.value());
    if (text == null || text.isBlank()) {
      error(e.line(), field + ": expected a non-empty file path");
      return null;
    }
    return text.trim();
  }

  private @Nullable String optional(Map<String, Entry> f, String key, String parent) {
    Entry e = present(f.get(key));
    if (e == null) {
      return null;
    }
    String text = text(e.value());
    if (text == null || text.isBlank()) {
      error(
          e.line(),
          "connection.authentication." + parent + "." + key + ": expected a non-empty string");
      return null;
    }
    return text.trim();
  }

  private static @Nullable Entry present(@Nullable Entry e) {
    return e == null || isNull(e.value()) ? null : e;
  }

  private void error(int line, String message) {
    failed = true;
    c.error(o.at(line), Category.HANDLER, what + ": " + message);
  }
}
