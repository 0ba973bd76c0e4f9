package dev.offpath.adapters.stdio;

import dev.offpath.core.attribute.AttributeValues;
import dev.offpath.core.attribute.StringMap;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * A growable byte buffer that a worker fills with the log lines of one batch, and the JSON encoding
 * those lines need, written straight into it: no generator, no intermediate strings for ASCII text.
 *
 * <p>The encoding is byte for byte what the handler's earlier Jackson generator (jackson-core
 * 2.18, default features) wrote, which {@code StdioLineFormatTest} checks against Jackson over many
 * random values: {@code "} and {@code \} escaped with a backslash; {@code \b \t \n \f \r} by their
 * short escapes; other characters below U+0020 and every UTF-16 surrogate (paired or not) as
 * {@code \}{@code uXXXX} with upper-case hex; everything else as UTF-8. Longs in decimal, finite
 * doubles as {@link Double#toString(double)}, booleans as {@code true}/{@code false}. Timestamps are
 * written as {@link Instant#toString()} writes them (a cached date-time prefix per second for years
 * 1970–9999, {@code Instant.toString} otherwise).
 *
 * <p>Not thread-safe: one per worker thread.
 */
final class LineBuffer {

  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
  private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
  /** 9999-12-31T23:59:59Z: the last second whose ISO form has four year digits and no sign. */
  private static final long LAST_FOUR_DIGIT_SECOND = 253_402_300_799L;

  private byte[] buf;
  private int size;
  private long cachedSecond = -1;
  private final byte[] cachedPrefix = new byte[19];

  LineBuffer(int capacity) {
    this.buf = new byte[capacity];
  }

  byte[] array() {
    return buf;
  }

  int size() {
    return size;
  }

  void reset() {
    size = 0;
  }

  /** Drops everything written after {@code mark} (a line that turned out not to be wanted). */
  void truncate(int mark) {
    size = mark;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }

  void raw(byte b) {
    ensure(1);
    buf[size++] = b;
  }

  void raw(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, size, bytes.length);
    size += bytes.length;
  }

  /** A JSON string: quotes and the escapes above. */
  void string(String s) {
    int n = s.length();
    ensure(n + 2);
    byte[] b = buf;
    int p = size;
    b[p++] = '"';
    int i = 0;
    // ASCII that needs no escape is the common case: copy it without further checks.
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
        break;
      }
      b[p++] = (byte) c;
    }
    size = p;
    for (; i < n; i++) {
      escaped(s.charAt(i));
    }
    ensure(1);
    buf[size++] = '"';
  }

  private void escaped(char c) {
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      raw((byte) c);
    } else if (c == '"' || c == '\\') {
      ensure(2);
      buf[size++] = '\\';
      buf[size++] = (byte) c;
    } else if (c < 0x20) {
      char shortForm =
          switch (c) {
            case '\b' -> 'b';
            case '\t' -> 't';
            case '\n' -> 'n';
            case '\f' -> 'f';
            case '\r' -> 'r';
            default -> 0;
          };
      if (shortForm != 0) {
        ensure(2);
        buf[size++] = '\\';
        buf[size++] = (byte) shortForm;
      } else {
        unicodeEscape(c);
      }
    } else if (Character.isSurrogate(c)) {
      unicodeEscape(c);
    } else if (c < 0x800) {
      ensure(2);
      buf[size++] = (byte) (0xC0 | (c >> 6));
      buf[size++] = (byte) (0x80 | (c & 0x3F));
    } else {
      ensure(3);
      buf[size++] = (byte) (0xE0 | (c >> 12));
      buf[size++] = (byte) (0x80 | ((c >> 6) & 0x3F));
      buf[size++] = (byte) (0x80 | (c & 0x3F));
    }
  }

  private void unicodeEscape(char c) {
    ensure(6);
    buf[size++] = '\\';
    buf[size++] = 'u';
    buf[size++] = HEX[(c >> 12) & 0xF];
    buf[size++] = HEX[(c >> 8) & 0xF];
    buf[size++] = HEX[(c >> 4) & 0xF];
    buf[size++] = HEX[c & 0xF];
  }

  /** A long in decimal, as {@link Long#toString(long)} writes it, without an intermediate string. */
  void number(long v) {
    if (v >= 0 && v < 10) {
      raw((byte) ('0' + v));
      return;
    }
    if (v == Long.MIN_VALUE) {
      ascii(Long.toString(v)); // no positive counterpart
      return;
    }
    ensure(20); // '-' and 19 digits
    if (v < 0) {
      buf[size++] = '-';
      v = -v;
    }
    int n = 1;
    for (long t = v / 10; t != 0; t /= 10) {
      n++;
    }
    for (int i = size + n - 1; i >= size; i--) {
      buf[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    size += n;
  }

  /** Appends a copy of {@code buf[from, from + len)}, bytes this buffer already holds. */
  void repeat(int from, int len) {
    ensure(len);
    System.arraycopy(buf, from, buf, size, len);
    size += len;
  }

  /** Text known to be ASCII with nothing to escape (numbers, labels), without quotes. */
  void ascii(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[size++] = (byte) s.charAt(i);
    }
  }

  /** A field value, as the handler's earlier generator wrote it (see the class comment). */
  void value(Object v) {
    switch (v) {
      case String s -> string(s);
      case Long l -> number(l);
      case Double d when Double.isFinite(d) -> ascii(Double.toString(d));
      case Boolean b -> raw(b ? TRUE : FALSE);
      case StringMap m -> {
        raw((byte) '{');
        boolean first = true;
        for (Map.Entry<String, String> e : new TreeMap<>(m.asMap()).entrySet()) {
          if (!first) {
            raw((byte) ',');
          }
          first = false;
          string(e.getKey());
          raw((byte) ':');
          string(e.getValue());
        }
        raw((byte) '}');
      }
      case Instant t -> {
        raw((byte) '"');
        instant(t);
        raw((byte) '"');
      }
      default -> string(AttributeValues.toText(v));
    }
  }

  /** {@code t} as {@link Instant#toString()} writes it, without quotes. */
  void instant(Instant t) {
    long second = t.getEpochSecond();
    if (second < 0 || second > LAST_FOUR_DIGIT_SECOND) {
      ascii(t.toString());
      return;
    }
    if (second != cachedSecond) {
      LocalDateTime d = LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC);
      byte[] p = cachedPrefix;
      digits(p, 0, d.getYear(), 4);
      p[4] = '-';
      digits(p, 5, d.getMonthValue(), 2);
      p[7] = '-';
      digits(p, 8, d.getDayOfMonth(), 2);
      p[10] = 'T';
      digits(p, 11, d.getHour(), 2);
      p[13] = ':';
      digits(p, 14, d.getMinute(), 2);
      p[16] = ':';
      digits(p, 17, d.getSecond(), 2);
      cachedSecond = second;
    }
    raw(cachedPrefix);
    int nano = t.getNano();
    if (nano != 0) {
      // ISO_INSTANT: milliseconds, microseconds or nanoseconds, whichever is exact.
      ensure(10);
      buf[size++] = '.';
      if (nano % 1_000_000 == 0) {
        digits(buf, size, nano / 1_000_000, 3);
        size += 3;
      } else if (nano % 1_000 == 0) {
        digits(buf, size, nano / 1_000, 6);
        size += 6;
      } else {
        digits(buf, size, nano, 9);
        size += 9;
      }
    }
    raw((byte) 'Z');
  }

  private static void digits(byte[] b, int at, int v, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      b[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
  }
}
