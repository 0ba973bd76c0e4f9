package dev.offpath.core.attribute;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.offpath.core.adapter.Params;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Attribute values as JSON, for the CLI ({@code offpath eval --attrs FILE.json}) and tooling. One JSON
 * object is one bag, each value typed by the manifest: TIMESTAMP as RFC 3339, DURATION as Go writes it
 * ({@code "10ms"}, {@code "1.5s"}), IP_ADDRESS as a string, INT64 and DOUBLE as numbers, BOOL,
 * STRING_MAP as an object of strings. Printing uses the same forms.
 */
public final class AttributeJson {

  private AttributeJson() {}

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /**
   * Decodes one JSON object into a bag typed by {@code manifest}.
   *
   * @throws IllegalArgumentException when the text is not a JSON object, an attribute is not declared,
   *     or a value does not have the shape its type needs (the message names the attribute and what
   *     was expected)
   */
  public static MapAttributes parse(String json, AttributeManifest manifest) {
    requireNonNull(json, "json");
    requireNonNull(manifest, "manifest");
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("attributes: " + e.getOriginalMessage() + " (expected: a JSON object)", e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(
          "attributes: " + (root == null ? "empty" : root.getNodeType().name().toLowerCase(Locale.ROOT)) + " (expected: a JSON object)");
    }
    MapAttributes.Builder out = MapAttributes.builder();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      ValueType type = manifest.typeOf(name);
      if (type == null) {
        throw new IllegalArgumentException(name + ": unknown attribute (expected: one declared in the attribute manifest)");
      }
      out.put(name, decode(name, type, e.getValue()));
    }
    return out.build();
  }

  private static Object decode(String name, ValueType type, JsonNode v) {
    switch (type) {
      case STRING, EMAIL_ADDRESS, DNS_NAME, URI -> {
        if (v.isTextual()) {
          return v.asText();
        }
        throw wrong(name, v, "a string");
      }
      case INT64 -> {
        if (v.isIntegralNumber() && v.canConvertToLong()) {
          return v.longValue();
        }
        throw wrong(name, v, "an integer");
      }
      case DOUBLE -> {
        if (v.isNumber()) {
          return v.doubleValue();
        }
        throw wrong(name, v, "a number");
      }
      case BOOL -> {
        if (v.isBoolean()) {
          return v.booleanValue();
        }
        throw wrong(name, v, "true or false");
      }
      case TIMESTAMP -> {
        if (v.isTextual()) {
          Instant t = AttributeValues.parseRfc3339(v.asText());
          if (t != null) {
            return t;
          }
        }
        throw wrong(name, v, "an RFC 3339 timestamp such as \"2019-01-02T15:04:05Z\"");
      }
      case DURATION -> {
        if (v.isTextual()) {
          try {
            return Params.parseDuration(v.asText());
          } catch (IllegalArgumentException e) {
            // reported below
          }
        }
        throw wrong(name, v, "a duration such as \"10ms\" or \"1.5s\"");
      }
      case IP_ADDRESS -> {
        if (v.isTextual()) {
          try {
            return IpAddress.parse(v.asText());
          } catch (IllegalArgumentException e) {
            // reported below
          }
        }
        throw wrong(name, v, "an IP address such as \"10.0.0.1\" or \"::1\"");
      }
      case STRING_MAP -> {
        if (v.isObject()) {
          Map<String, String> m = new TreeMap<>();
          for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
              throw wrong(name + "[" + e.getKey() + "]", e.getValue(), "a string");
            }
            m.put(e.getKey(), e.getValue().asText());
          }
          return StringMap.of(m);
        }
        throw wrong(name, v, "an object of strings");
      }
    }
    throw new AssertionError(type);
  }

  private static IllegalArgumentException wrong(String name, JsonNode v, String expected) {
    return new IllegalArgumentException(name + ": " + v + " (expected: " + expected + ")");
  }

  /**
   * Prints a value (one of the classes listed on {@link ValueType}) as JSON: strings and numbers as
   * such, timestamps as RFC 3339, durations as Go writes them ({@code "1.5s"}), IP addresses as
   * strings, string maps as objects with sorted keys.
   *
   * @throws IllegalArgumentException for a value of another class
   */
  public static String toJson(Object value) {
    requireNonNull(value, "value");
    try {
      return MAPPER.writeValueAsString(toNode(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode toNode(Object value) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    return switch (value) {
      case String s -> f.textNode(s);
      case Long l -> f.numberNode(l);
      case Integer i -> f.numberNode(i.longValue());
      case Double d -> f.numberNode(d);
      case Boolean b -> f.booleanNode(b);
      case Instant t -> f.textNode(t.toString());
      case Duration d -> f.textNode(goDuration(d));
      case IpAddress ip -> f.textNode(ip.toString());
      case StringMap m -> {
        ObjectNode o = f.objectNode();
        new TreeMap<>(m.asMap()).forEach(o::put);
        yield o;
      }
      default -> throw new IllegalArgumentException(
          "value: " + value.getClass().getName() + " (expected: a class listed on ValueType)");
    };
  }

  /** Go's time.Duration.String(): {@code 1h2m3.5s}, {@code 1.5ms}, {@code 0s}. */
  static String goDuration(Duration d) {
    long nanos;
    try {
      nanos = d.toNanos();
    } catch (ArithmeticException e) {
      return d.getSeconds() + "s";
    }
    if (nanos == 0) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    if (nanos < 0) {
      sb.append('-');
    }
    // Long.MIN_VALUE has no positive counterpart; work on the unsigned magnitude.
    long u = nanos < 0 ? -nanos : nanos;
    if (Long.compareUnsigned(u, 1_000_000_000L) < 0) {
      if (u < 1_000L) {
        return sb.append(u).append("ns").toString();
      }
      if (u < 1_000_000L) {
        return sb.append(fraction(u, 1_000L)).append("µs").toString();
      }
      return sb.append(fraction(u, 1_000_000L)).append("ms").toString();
    }
    long hours = Long.divideUnsigned(u, 3_600_000_000_000L);
    long rem = Long.remainderUnsigned(u, 3_600_000_000_000L);
    long minutes = rem / 60_000_000_000L;
    long secNanos = rem % 60_000_000_000L;
    if (hours > 0) {
      sb.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      sb.append(minutes).append('m');
    }
    return sb.append(fraction(secNanos, 1_000_000_000L)).append('s').toString();
  }

  private static String fraction(long value, long unit) {
    long whole = value / unit;
    long frac = value % unit;
    if (frac == 0) {
      return Long.toString(whole);
    }
    String digits = Long.toString(unit + frac).substring(1);
    int end = digits.length();
    while (digits.charAt(end - 1) == '0') {
      end--;
    }
    return whole + "." + digits.substring(0, end);
  }
}
