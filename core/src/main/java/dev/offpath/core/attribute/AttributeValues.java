package dev.offpath.core.attribute;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.Params;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Converts attribute values written as text (Envoy's context extensions, {@code offpath check --attr
 * name=value}) into the Java value of a declared {@link ValueType}.
 */
public final class AttributeValues {

  private AttributeValues() {}

  /**
   * Parses {@code text} as a value of {@code type}: INT64/DOUBLE decimal, BOOL true/false, TIMESTAMP
   * RFC 3339, DURATION Go-style ({@code 10ms}, {@code 1.5s}), IP_ADDRESS literal, STRING_MAP as
   * {@code k1=v1,k2=v2}; the string types as is.
   *
   * @throws IllegalArgumentException naming the type expected when {@code text} does not convert
   */
  public static Object fromString(String text, ValueType type) {
    requireNonNull(text, "text");
    requireNonNull(type, "type");
    try {
      return switch (type) {
        case STRING, EMAIL_ADDRESS, DNS_NAME, URI -> text;
        case INT64 -> Long.parseLong(text.trim());
        case DOUBLE -> Double.parseDouble(text.trim());
        case BOOL -> parseBool(text.trim());
        case TIMESTAMP -> {
          Instant t = parseRfc3339(text.trim());
          if (t == null) {
            throw new IllegalArgumentException("not RFC 3339");
          }
          yield t;
        }
        case DURATION -> Params.parseDuration(text);
        case IP_ADDRESS -> IpAddress.parse(text.trim());
        case STRING_MAP -> parseMap(text);
      };
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a " + type + " (" + example(type) + ")", e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a " + type + " (" + example(type) + ")", e);
    }
  }

  /**
   * The text of a value as Mixer printed it (a header value, say): strings as they are, DURATION as
   * Go writes it ({@code 1.5s}), TIMESTAMP as RFC 3339, IP addresses in their usual form.
   */
  public static String toText(Object value) {
    requireNonNull(value, "value");
    return switch (value) {
      case String s -> s;
      case Duration d -> AttributeJson.goDuration(d);
      case StringMap m -> new TreeMap<>(m.asMap()).toString();
      default -> value.toString();
    };
  }

  /** An RFC 3339 timestamp ({@code 2019-01-02T15:04:05.5+01:00}), or null when {@code s} is not one. */
  static @Nullable Instant parseRfc3339(String s) {
    if (!RFC3339.matcher(s).matches()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static final Pattern RFC3339 =
      Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})");

  private static Boolean parseBool(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default -> throw new IllegalArgumentException("not a bool");
    };
  }

  private static StringMap parseMap(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!text.isEmpty()) {
      for (String pair : text.split(",")) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("not a map entry: " + pair);
        }
        out.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
    }
    return StringMap.of(out);
  }

  private static String example(ValueType type) {
    return switch (type) {
      case INT64 -> "expected: an integer";
      case DOUBLE -> "expected: a number";
      case BOOL -> "expected: true or false";
      case TIMESTAMP -> "expected: RFC 3339, e.g. 2026-01-02T15:04:05Z";
      case DURATION -> "expected: e.g. 10ms, 1.5s";
      case IP_ADDRESS -> "expected: an IPv4 or IPv6 literal";
      case STRING_MAP -> "expected: k1=v1,k2=v2";
      default -> "expected: text";
    };
  }
}
