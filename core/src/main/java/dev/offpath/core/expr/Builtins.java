package dev.offpath.core.expr;

import dev.offpath.core.attribute.IpAddress;
import java.net.IDN;
import java.text.Normalizer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Mixer's extern functions (mixer/pkg/lang/externs.go) with their error texts: conversions to
 * IP_ADDRESS, TIMESTAMP, DNS_NAME, EMAIL_ADDRESS and URI, and the typed equalities (DNS names and the
 * domain of e-mails compare case-insensitively with a trailing dot ignored; URIs compare scheme and,
 * for http(s), host case-insensitively). Go's {@code idna}, {@code net/mail} and {@code net/url}
 * parsers are reproduced for the cases Mixer's users meet, not bug for bug.
 */
final class Builtins {

  private Builtins() {}

  static IpAddress ip(String in) throws EvaluationException {
    try {
      return IpAddress.parse(in);
    } catch (IllegalArgumentException e) {
      throw new EvaluationException("could not convert " + in + " to IP_ADDRESS");
    }
  }

  private static final Pattern RFC3339 =
      Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})");

  static Instant timestamp(String in) throws EvaluationException {
    Instant t = parseRfc3339(in);
    if (t == null) {
      throw new EvaluationException(
          "could not convert '" + in + "' to TIMESTAMP. expected format: '2006-01-02T15:04:05Z07:00'");
    }
    return t;
  }

  /** Go's time.Parse(time.RFC3339, s), or null. */
  static @Nullable Instant parseRfc3339(String in) {
    if (!RFC3339.matcher(in).matches()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(in).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  // --- DNS names -------------------------------------------------------------------------------

  static String dnsName(String in) throws EvaluationException {
    String problem = dnsProblem(in);
    if (problem != null) {
      throw new EvaluationException("error converting '" + in + "' to dns name: '" + problem + "'");
    }
    return in;
  }

  /** What Go's validating IDNA profile reports for {@code s}, or null when it is a valid name. */
  static @Nullable String dnsProblem(String s) {
    if (s.isEmpty()) {
      return "idna: invalid label \"\"";
    }
    String body = s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    String[] labels = body.split("\\.", -1);
    for (String label : labels) {
      if (label.isEmpty()) {
        return "idna: invalid label \"" + s + "\"";
      }
    }
    for (String label : labels) {
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        boolean ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c > 0x7f;
        if (!ok) {
          return String.format("idna: disallowed rune U+%04X", (int) c);
        }
      }
      String lower = label.toLowerCase(Locale.ROOT);
      if (lower.startsWith("xn--")) {
        if (IDN.toUnicode(lower, IDN.ALLOW_UNASSIGNED).equals(lower)) {
          return "idna: invalid label \"" + label + "\"";
        }
      } else if (label.length() > 4 && label.charAt(2) == '-' && label.charAt(3) == '-') {
        return "idna: invalid label \"" + label + "\"";
      }
      if (label.startsWith("-") || label.endsWith("-")) {
        return "idna: invalid label \"" + label + "\"";
      }
    }
    return null;
  }

  private static String dnsCanonical(String s) {
    String lower = Normalizer.normalize(s.toLowerCase(Locale.ROOT), Normalizer.Form.NFKC);
    return IDN.toUnicode(lower, IDN.ALLOW_UNASSIGNED);
  }

  static boolean dnsNameEqual(String a, String b) {
    String n1 = dnsCanonical(a);
    String n2 = dnsCanonical(b);
    if (!n1.isEmpty() && !n2.isEmpty()) {
      boolean dot1 = n1.endsWith(".");
      boolean dot2 = n2.endsWith(".");
      if (dot1 && !dot2) {
        n1 = n1.substring(0, n1.length() - 1);
      } else if (dot2 && !dot1) {
        n2 = n2.substring(0, n2.length() - 1);
      }
    }
    return n1.equals(n2);
  }

  // --- e-mail addresses ------------------------------------------------------------------------

  /** A parsed mailbox: display name and {@code local@domain} (quoted local parts unquoted). */
  private record Mailbox(String name, String local, String domain) {}

  static String email(String in) throws EvaluationException {
    Mailbox m;
    try {
      m = MailParser.parse(in);
    } catch (IllegalArgumentException e) {
      throw new EvaluationException("error converting '" + in + "' to e-mail: '" + e.getMessage() + "'");
    }
    if (!m.name().isEmpty()) {
      throw new EvaluationException("error converting '" + in + "' to e-mail: display names are not allowed");
    }
    String problem = dnsProblem(m.domain());
    if (problem != null) {
      throw new EvaluationException(
          "error converting '" + in + "' to e-mail: 'error converting '" + m.domain()
              + "' to dns name: '" + problem + "''");
    }
    return in;
  }

  static boolean emailEqual(String a, String b) throws EvaluationException {
    Mailbox m1;
    Mailbox m2;
    try {
      m1 = MailParser.parse(a);
      m2 = MailParser.parse(b);
    } catch (IllegalArgumentException e) {
      throw new EvaluationException(String.valueOf(e.getMessage()), e);
    }
    return dnsNameEqual(m1.domain(), m2.domain()) && m1.local().equals(m2.local());
  }

  /** The subset of Go's net/mail address grammar: addr-spec, or [phrase] angle-addr. */
  private static final class MailParser {
    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";
    private final String s;
    private int pos;

    private MailParser(String s) {
      this.s = s;
    }

    static Mailbox parse(String in) {
      MailParser p = new MailParser(in);
      p.skipSpace();
      if (p.pos >= in.length()) {
        throw new IllegalArgumentException("mail: no address");
      }
      int start = p.pos;
      try {
        String[] spec = p.addrSpec();
        p.skipSpace();
        if (p.pos == in.length()) {
          return new Mailbox("", spec[0], spec[1]);
        }
      } catch (IllegalArgumentException e) {
        // fall back to name-addr, as Go does
      }
      p.pos = start;
      String name = "";
      if (p.peek() != '<') {
        name = p.phrase();
      }
      p.skipSpace();
      if (p.pos >= in.length() || p.peek() != '<') {
        throw new IllegalArgumentException("mail: no angle-addr");
      }
      p.pos++;
      String[] spec = p.addrSpec();
      if (p.pos >= in.length() || p.peek() != '>') {
        throw new IllegalArgumentException("mail: unclosed angle-addr");
      }
      p.pos++;
      p.skipSpace();
      if (p.pos != in.length()) {
        throw new IllegalArgumentException("mail: expected single address");
      }
      return new Mailbox(name, spec[0], spec[1]);
    }

    private char peek() {
      return s.charAt(pos);
    }

    private void skipSpace() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
    }

    private static boolean isAtext(char c, boolean dot) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c > 0x7f
          || ATEXT_SPECIALS.indexOf(c) >= 0 || (dot && c == '.');
    }

    private String[] addrSpec() {
      skipSpace();
      String local;
      if (pos < s.length() && peek() == '"') {
        local = quoted();
      } else {
        local = atom(true);
      }
      if (pos >= s.length() || peek() != '@') {
        throw new IllegalArgumentException("mail: missing @ in addr-spec");
      }
      pos++;
      skipSpace();
      if (pos >= s.length()) {
        throw new IllegalArgumentException("mail: no domain in addr-spec");
      }
      String domain = atom(true);
      return new String[] {local, domain};
    }

    private String atom(boolean dot) {
      int start = pos;
      while (pos < s.length() && isAtext(s.charAt(pos), dot)) {
        pos++;
      }
      String a = s.substring(start, pos);
      if (a.isEmpty() || a.startsWith(".") || a.endsWith(".") || a.contains("..")) {
        throw new IllegalArgumentException("mail: invalid string");
      }
      return a;
    }

    private String quoted() {
      pos++;
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (pos >= s.length()) {
          throw new IllegalArgumentException("mail: unclosed quoted-string");
        }
        char c = s.charAt(pos++);
        if (c == '"') {
          return sb.toString();
        }
        if (c == '\\') {
          if (pos >= s.length()) {
            throw new IllegalArgumentException("mail: unclosed quoted-string");
          }
          c = s.charAt(pos++);
        }
        sb.append(c);
      }
    }

    private String phrase() {
      StringBuilder sb = new StringBuilder();
      while (true) {
        skipSpace();
        if (pos >= s.length()) {
          break;
        }
        String word;
        if (peek() == '"') {
          word = quoted();
        } else if (isAtext(peek(), true)) {
          word = atom(true);
        } else {
          break;
        }
        if (sb.length() > 0) {
          sb.append(' ');
        }
        sb.append(word);
      }
      if (sb.length() == 0) {
        throw new IllegalArgumentException("mail: missing word in phrase");
      }
      return sb.toString();
    }
  }

  // --- URIs ------------------------------------------------------------------------------------

  static String uri(String in) throws EvaluationException {
    if (in.isEmpty()) {
      throw new EvaluationException("error converting string to uri: empty string");
    }
    try {
      GoUrl.parse(in);
    } catch (IllegalArgumentException e) {
      throw new EvaluationException("error converting string to uri '" + in + "': '" + e.getMessage() + "'");
    }
    return in;
  }

  static boolean uriEqual(String a, String b) throws EvaluationException {
    GoUrl u1;
    GoUrl u2;
    try {
      u1 = GoUrl.parse(a);
    } catch (IllegalArgumentException e) {
      throw new EvaluationException("error converting string to uri '" + a + "': '" + e.getMessage() + "'");
    }
    try {
      u2 = GoUrl.parse(b);
    } catch (IllegalArgumentException e) {
      throw new EvaluationException("error converting string to uri '" + b + "': '" + e.getMessage() + "'");
    }
    String scheme = u1.scheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals(u2.scheme().toLowerCase(Locale.ROOT))) {
      return false;
    }
    boolean sameHost;
    if (scheme.equals("http") || scheme.equals("https")) {
      sameHost = dnsNameEqual(u1.hostname(), u2.hostname()) && u1.port().equals(u2.port());
    } else {
      sameHost = u1.hostname().equals(u2.hostname()) && u1.port().equals(u2.port());
    }
    return sameHost
        && u1.opaque().equals(u2.opaque())
        && u1.user().equals(u2.user())
        && u1.hasAuthority() == u2.hasAuthority()
        && u1.path().equals(u2.path())
        && u1.query().equals(u2.query())
        && u1.fragment().equals(u2.fragment());
  }

  /** The parts of a URL as Go's url.Parse splits them, with its error texts. */
  record GoUrl(
      String scheme,
      String opaque,
      String user,
      boolean hasAuthority,
      String hostname,
      String port,
      String path,
      String query,
      String fragment) {

    static GoUrl parse(String raw) {
      try {
        return doParse(raw);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("parse " + raw + ": " + e.getMessage(), e);
      }
    }

    private static GoUrl doParse(String raw) {
      String fragment = "";
      int hash = raw.indexOf('#');
      String rest = raw;
      if (hash >= 0) {
        fragment = raw.substring(hash + 1);
        rest = raw.substring(0, hash);
        checkEscapes(fragment);
      }
      for (int i = 0; i < rest.length(); i++) {
        char c = rest.charAt(i);
        if (c < 0x20 || c == 0x7f) {
          throw new IllegalArgumentException("net/url: invalid control character in URL");
        }
      }
      String scheme = "";
      for (int i = 0; i < rest.length(); i++) {
        char c = rest.charAt(i);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
          continue;
        }
        if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
          if (i == 0) {
            break;
          }
          continue;
        }
        if (c == ':') {
          if (i == 0) {
            throw new IllegalArgumentException("missing protocol scheme");
          }
          scheme = rest.substring(0, i);
          rest = rest.substring(i + 1);
        }
        break;
      }
      String query = "";
      int q = rest.indexOf('?');
      if (q >= 0) {
        query = rest.substring(q + 1);
        rest = rest.substring(0, q);
      }
      if (!rest.startsWith("/")) {
        if (!scheme.isEmpty()) {
          return new GoUrl(scheme, rest, "", false, "", "", "", query, fragment);
        }
        int slash = rest.indexOf('/');
        String first = slash < 0 ? rest : rest.substring(0, slash);
        if (first.indexOf(':') >= 0) {
          throw new IllegalArgumentException("first path segment in URL cannot contain colon");
        }
      }
      String user = "";
      String host = "";
      String port = "";
      boolean hasAuthority = false;
      if (rest.startsWith("//") && !rest.startsWith("///")) {
        hasAuthority = true;
        String authority = rest.substring(2);
        int slash = authority.indexOf('/');
        rest = slash < 0 ? "" : authority.substring(slash);
        authority = slash < 0 ? authority : authority.substring(0, slash);
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
          user = authority.substring(0, at);
          authority = authority.substring(at + 1);
        }
        String hostPort = authority;
        if (hostPort.startsWith("[")) {
          int close = hostPort.indexOf(']');
          if (close < 0) {
            throw new IllegalArgumentException("missing ']' in host");
          }
          host = hostPort.substring(1, close);
          String after = hostPort.substring(close + 1);
          if (!after.isEmpty()) {
            if (!after.startsWith(":")) {
              throw new IllegalArgumentException("invalid port \"" + after + "\" after host");
            }
            port = checkPort(after);
          }
        } else {
          int colon = hostPort.lastIndexOf(':');
          if (colon >= 0) {
            port = checkPort(hostPort.substring(colon));
            hostPort = hostPort.substring(0, colon);
          }
          for (int i = 0; i < hostPort.length(); i++) {
            char c = hostPort.charAt(i);
            if (c == ' ' || c == '<' || c == '>' || c == '"' || c == '{' || c == '}' || c == '|'
                || c == '\\' || c == '^' || c == '`') {
              throw new IllegalArgumentException("invalid character \"" + c + "\" in host name");
            }
          }
          checkEscapes(hostPort);
          host = hostPort;
        }
      }
      checkEscapes(rest);
      return new GoUrl(scheme, "", user, hasAuthority, host, port, rest, query, fragment);
    }

    private static String checkPort(String colonPort) {
      String p = colonPort.substring(1);
      for (int i = 0; i < p.length(); i++) {
        if (p.charAt(i) < '0' || p.charAt(i) > '9') {
          throw new IllegalArgumentException("invalid port \"" + colonPort + "\" after host");
        }
      }
      return p;
    }

    private static void checkEscapes(String s) {
      for (int i = 0; i < s.length(); i++) {
        if (s.charAt(i) == '%') {
          if (i + 2 >= s.length()
              || Character.digit(s.charAt(i + 1), 16) < 0
              || Character.digit(s.charAt(i + 2), 16) < 0) {
            String bad = s.substring(i, Math.min(i + 3, s.length()));
            throw new IllegalArgumentException("invalid URL escape \"" + bad + "\"");
          }
        }
      }
    }
  }

  // --- strings ---------------------------------------------------------------------------------

  /** Mixer's {@code match}: a trailing {@code *} matches a prefix, a leading one a suffix. */
  static boolean match(String str, String pattern) {
    if (pattern.endsWith("*")) {
      return str.startsWith(pattern.substring(0, pattern.length() - 1));
    }
    if (pattern.startsWith("*")) {
      return str.endsWith(pattern.substring(1));
    }
    return str.equals(pattern);
  }

  /** Go's len(string): the UTF-8 byte length. */
  static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
