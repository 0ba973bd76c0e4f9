package dev.offpath.adapters.redisquota;

import static java.util.Objects.requireNonNull;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A parsed {@code redisServerUrl}: which deployment (one server, a Sentinel group, a Cluster), its
 * nodes, TLS, database, and the password if the URL carried one, kept apart as a {@link Secret} so
 * that nothing derived from an endpoint (its {@link #toString()}, {@link #display()}, error
 * messages) contains it.
 *
 * <p>Forms: {@code host:port} (Mixer's); {@code redis://[[user]:password@]host[:port][/db]} and
 * {@code rediss://…} (TLS); {@code redis-sentinel://[…@]host[:port][,host[:port]…][/db]#masterId}
 * and {@code rediss-sentinel://…} (Lettuce's sentinel form: the hosts are sentinels, default port
 * 26379); {@code redis-cluster://[…@]host[:port][,host[:port]…]} and {@code rediss-cluster://…}
 * (seed nodes of a Redis Cluster, database 0 only). Hosts may be IPv6 literals in brackets.
 * Anything else, including query parameters, is refused with the form expected.
 */
public record RedisEndpoint(
    Mode mode,
    boolean tls,
    List<Node> nodes,
    int database,
    @Nullable String masterId,
    @Nullable String username,
    @Nullable Secret password) {

  static final int DEFAULT_PORT = 6379;
  static final int DEFAULT_SENTINEL_PORT = 26379;
  static final int MAX_NODES = 64;
  static final String FORMS =
      "host:port, redis[s]://[:password@]host:port[/db],"
          + " redis[s]-sentinel://host:port[,host:port...][/db]#masterId"
          + " or redis[s]-cluster://host:port[,host:port...]";

  /** The three deployments. */
  public enum Mode {
    STANDALONE,
    SENTINEL,
    CLUSTER
  }

  /** One host and port. */
  public record Node(String host, int port) {
    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  public RedisEndpoint {
    requireNonNull(mode, "mode");
    nodes = List.copyOf(nodes);
  }

  /** The same endpoint with {@code password} (from a file or the environment). */
  RedisEndpoint withPassword(Secret secret) {
    return new RedisEndpoint(mode, tls, nodes, database, masterId, username, secret);
  }

  /** The URL without its password ({@code ***} in its place): the form logs and errors show. */
  public String display() {
    StringBuilder out = new StringBuilder();
    out.append(tls ? "rediss" : "redis");
    switch (mode) {
      case SENTINEL -> out.append("-sentinel");
      case CLUSTER -> out.append("-cluster");
      default -> {}
    }
    out.append("://");
    if (username != null || password != null) {
      if (username != null) {
        out.append(username);
      }
      if (password != null) {
        out.append(":***");
      }
      out.append('@');
    }
    for (int i = 0; i < nodes.size(); i++) {
      out.append(i == 0 ? "" : ",").append(nodes.get(i));
    }
    if (database != 0) {
      out.append('/').append(database);
    }
    if (masterId != null) {
      out.append('#').append(masterId);
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return display();
  }

  /**
   * Parses {@code url}; the exception's message never contains the password (it names the part
   * that is wrong, not the URL).
   */
  public static RedisEndpoint parse(String url) {
    int schemeEnd = url.indexOf("://");
    if (schemeEnd < 0) {
      if (url.indexOf('@') >= 0) {
        throw new IllegalArgumentException("a password needs the form redis://:password@host:port");
      }
      List<Node> one = hosts(url, DEFAULT_PORT, true);
      if (one.size() != 1) {
        throw new IllegalArgumentException("one host:port expected");
      }
      return new RedisEndpoint(Mode.STANDALONE, false, one, 0, null, null, null);
    }
    String scheme = url.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
    boolean tls;
    Mode mode;
    switch (scheme) {
      case "redis" -> {
        tls = false;
        mode = Mode.STANDALONE;
      }
      case "rediss" -> {
        tls = true;
        mode = Mode.STANDALONE;
      }
      case "redis-sentinel" -> {
        tls = false;
        mode = Mode.SENTINEL;
      }
      case "rediss-sentinel" -> {
        tls = true;
        mode = Mode.SENTINEL;
      }
      case "redis-cluster" -> {
        tls = false;
        mode = Mode.CLUSTER;
      }
      case "rediss-cluster" -> {
        tls = true;
        mode = Mode.CLUSTER;
      }
      default -> throw new IllegalArgumentException("unknown scheme '" + scheme + "'");
    }
    String rest = url.substring(schemeEnd + 3);
    String username = null;
    Secret password = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      String userInfo = rest.substring(0, at);
      rest = rest.substring(at + 1);
      int colon = userInfo.indexOf(':');
      String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
      String pass = colon < 0 ? "" : userInfo.substring(colon + 1);
      if (colon < 0 && !user.isEmpty()) {
        // Lettuce's form redis://password@host: a lone user-info part is the password.
        pass = user;
        user = "";
      }
      username = user.isEmpty() ? null : user;
      password = pass.isEmpty() ? null : new Secret(decode(pass));
    }
    if (rest.indexOf('?') >= 0) {
      throw new IllegalArgumentException(
          "query parameters are not supported (use the handler's params)");
    }
    String masterId = null;
    int hash = rest.indexOf('#');
    if (hash >= 0) {
      masterId = rest.substring(hash + 1);
      rest = rest.substring(0, hash);
      if (mode != Mode.SENTINEL) {
        throw new IllegalArgumentException("#masterId only in a redis-sentinel:// URL");
      }
      if (!masterId.matches("[A-Za-z0-9._-]+")) {
        throw new IllegalArgumentException("#masterId must be letters, digits, '.', '_' or '-'");
      }
    } else if (mode == Mode.SENTINEL) {
      throw new IllegalArgumentException("a redis-sentinel:// URL needs #masterId");
    }
    int database = 0;
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      String db = rest.substring(slash + 1);
      rest = rest.substring(0, slash);
      if (!db.isEmpty()) {
        if (mode == Mode.CLUSTER) {
          throw new IllegalArgumentException("a Redis Cluster has database 0 only");
        }
        try {
          database = Integer.parseInt(db);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("database '" + db + "' is not a number", e);
        }
        if (database < 0 || database > 65_535) {
          throw new IllegalArgumentException("database " + database + " out of range");
        }
      }
    }
    List<Node> nodes =
        hosts(rest, mode == Mode.SENTINEL ? DEFAULT_SENTINEL_PORT : DEFAULT_PORT, false);
    if (mode == Mode.STANDALONE && nodes.size() != 1) {
      throw new IllegalArgumentException(
          "several hosts need redis-sentinel:// or redis-cluster://");
    }
    return new RedisEndpoint(mode, tls, nodes, database, masterId, username, password);
  }

  private static List<Node> hosts(String text, int defaultPort, boolean portRequired) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("no host");
    }
    List<Node> out = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      if (out.size() == MAX_NODES) {
        throw new IllegalArgumentException("more than " + MAX_NODES + " hosts");
      }
      out.add(node(part, defaultPort, portRequired));
    }
    return out;
  }

  private static Node node(String text, int defaultPort, boolean portRequired) {
    String host;
    String port = null;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("unclosed '[' in host");
      }
      host = text.substring(1, close);
      String after = text.substring(close + 1);
      if (!after.isEmpty()) {
        if (!after.startsWith(":")) {
          throw new IllegalArgumentException("expected :port after ']'");
        }
        port = after.substring(1);
      }
    } else {
      int colon = text.lastIndexOf(':');
      if (colon >= 0 && text.indexOf(':') != colon) {
        throw new IllegalArgumentException("an IPv6 host needs brackets: [host]:port");
      }
      host = colon < 0 ? text : text.substring(0, colon);
      port = colon < 0 ? null : text.substring(colon + 1);
    }
    if (host.isEmpty() || !host.matches("[A-Za-z0-9._:%-]+")) {
      throw new IllegalArgumentException("bad host '" + host + "'");
    }
    if (port == null && portRequired) {
      throw new IllegalArgumentException("missing :port");
    }
    int p = defaultPort;
    if (port != null) {
      try {
        p = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("port '" + port + "' is not a number", e);
      }
      if (p < 1 || p > 65_535) {
        throw new IllegalArgumentException("port " + p + " out of range");
      }
    }
    return new Node(host, p);
  }

  /** Percent-decodes a password ({@code %40} for '@'), as URLs require. */
  private static String decode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      // Not chained: the decoder's message quotes the password.
      throw new IllegalArgumentException("bad %-escape in the password");
    }
  }
}
