package dev.offpath.core.adapter;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Handler params as written in YAML (a tree of maps, lists and scalars), with typed accessors whose
 * errors name the param path and what was expected. Keys are matched as written and also in
 * snake_case, since Mixer's protobuf decoding accepted both ({@code validDuration} /
 * {@code valid_duration}). Call {@link #rejectUnknown()} after reading to refuse typos.
 *
 * <p>Not thread-safe (it remembers the keys read); used only while parsing config.
 */
public final class Params {

  private final String path;
  private final Map<String, Object> values;
  private final Set<String> read = new HashSet<>();

  private Params(String path, Map<String, Object> values) {
    this.path = path;
    this.values = values;
  }

  /** Params at the root of a handler's {@code params}. */
  public static Params of(Map<String, ?> values) {
    return new Params("", copy(values));
  }

  private static Map<String, Object> copy(Map<?, ?> values) {
    Map<String, Object> out = new LinkedHashMap<>();
    values.forEach((k, v) -> out.put(String.valueOf(k), v));
    return out;
  }

  /** The path of this node, e.g. {@code overrides[1]}; empty at the root. */
  public String path() {
    return path;
  }

  private String child(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public boolean has(String key) {
    return raw(key) != null;
  }

  private @Nullable Object raw(String key) {
    Object v = values.get(key);
    String alt = snakeCase(key);
    if (v == null && !alt.equals(key)) {
      v = values.get(alt);
      if (v != null) {
        read.add(alt);
      }
    }
    read.add(key);
    return v;
  }

  /** {@code validDuration} → {@code valid_duration}: the other spelling Mixer's params accept. */
  public static String snakeCase(String camel) {
    StringBuilder sb = new StringBuilder(camel.length() + 4);
    for (int i = 0; i < camel.length(); i++) {
      char c = camel.charAt(i);
      if (Character.isUpperCase(c)) {
        sb.append('_').append(Character.toLowerCase(c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private AdapterConfigException error(String key, String message) {
    String p = child(key);
    return new AdapterConfigException(p, p + ": " + message);
  }

  public @Nullable String string(String key) throws AdapterConfigException {
    Object v = raw(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Map || v instanceof List) {
      throw error(key, "expected a string");
    }
    return String.valueOf(v);
  }

  public String string(String key, String defaultValue) throws AdapterConfigException {
    String v = string(key);
    return v == null ? defaultValue : v;
  }

  public String requireString(String key) throws AdapterConfigException {
    String v = string(key);
    if (v == null || v.isEmpty()) {
      throw error(key, "missing (expected: a non-empty string)");
    }
    return v;
  }

  public long longValue(String key, long defaultValue) throws AdapterConfigException {
    Object v = raw(key);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Integer || v instanceof Long) {
      return ((Number) v).longValue();
    }
    if (v instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    throw error(key, v + " (expected: an integer)");
  }

  public boolean booleanValue(String key, boolean defaultValue) throws AdapterConfigException {
    Object v = raw(key);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(s);
    }
    throw error(key, v + " (expected: true or false)");
  }

  /** A duration such as {@code 10ms}, {@code 1.5s}, {@code 1m}, {@code 2h45m} (Go/protobuf style). */
  public @Nullable Duration duration(String key) throws AdapterConfigException {
    Object v = raw(key);
    if (v == null) {
      return null;
    }
    try {
      return parseDuration(String.valueOf(v));
    } catch (IllegalArgumentException e) {
      throw error(key, v + " (expected: a duration such as 10ms, 1.5s or 1m)");
    }
  }

  public Duration duration(String key, Duration defaultValue) throws AdapterConfigException {
    Duration d = duration(key);
    return d == null ? defaultValue : d;
  }

  /** An enum constant named by the string value (case-insensitive). */
  public <E extends Enum<E>> E enumValue(String key, Class<E> type, E defaultValue)
      throws AdapterConfigException {
    Object v = raw(key);
    if (v == null) {
      return defaultValue;
    }
    String s = String.valueOf(v).trim().toUpperCase(Locale.ROOT);
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(s)) {
        return e;
      }
    }
    if (v instanceof Integer i && i >= 0 && i < type.getEnumConstants().length) {
      return type.getEnumConstants()[i];
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.name());
    }
    throw error(key, v + " (expected: one of " + String.join(", ", names) + ")");
  }

  /** A list of strings; a missing key is an empty list. */
  public List<String> stringList(String key) throws AdapterConfigException {
    Object v = raw(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> list)) {
      throw error(key, "expected a list of strings");
    }
    List<String> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      Object item = list.get(i);
      if (item == null || item instanceof Map || item instanceof List) {
        throw error(key + "[" + i + "]", "expected a string");
      }
      out.add(String.valueOf(item));
    }
    return out;
  }

  /** A map of strings to strings; a missing key is an empty map. */
  public Map<String, String> stringMap(String key) throws AdapterConfigException {
    Object v = raw(key);
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof Map<?, ?> map)) {
      throw error(key, "expected a map of strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (e.getValue() instanceof Map || e.getValue() instanceof List) {
        throw error(key + "." + e.getKey(), "expected a string");
      }
      out.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
    }
    return out;
  }

  /** A list of nested objects; a missing key is an empty list. */
  public List<Params> objectList(String key) throws AdapterConfigException {
    Object v = raw(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> list)) {
      throw error(key, "expected a list");
    }
    List<Params> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Map<?, ?> m)) {
        throw error(key + "[" + i + "]", "expected an object");
      }
      out.add(new Params(child(key) + "[" + i + "]", copy(m)));
    }
    return out;
  }

  /** A nested object, or null when absent. */
  public @Nullable Params object(String key) throws AdapterConfigException {
    Object v = raw(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw error(key, "expected an object");
    }
    return new Params(child(key), copy(m));
  }

  /** Throws for the first key that no accessor read: a typo or a param this adapter lacks. */
  public void rejectUnknown() throws AdapterConfigException {
    for (String key : values.keySet()) {
      if (!read.contains(key)) {
        throw error(key, "unknown param");
      }
    }
  }

  /** An error about this node or one of its keys ({@code key} may be empty). */
  public AdapterConfigException invalid(String key, String message) {
    if (key.isEmpty()) {
      return new AdapterConfigException(path, (path.isEmpty() ? "" : path + ": ") + message);
    }
    return error(key, message);
  }

  /**
   * Parses a Go-style duration ({@code 300ms}, {@code 1.5s}, {@code 2h45m}, {@code 0}) as Mixer's
   * configs write them.
   *
   * @throws IllegalArgumentException when the text is not a duration
   */
  public static Duration parseDuration(String text) {
    String s = text.trim();
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    boolean negative = s.startsWith("-");
    if (negative || s.startsWith("+")) {
      s = s.substring(1);
    }
    if (s.isEmpty()) {
      throw new IllegalArgumentException("invalid duration: " + text);
    }
    long nanos = 0;
    int i = 0;
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      if (start == i) {
        throw new IllegalArgumentException("invalid duration: " + text);
      }
      double number = Double.parseDouble(s.substring(start, i));
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      String unit = s.substring(unitStart, i);
      long scale =
          switch (unit) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalArgumentException("invalid duration: " + text);
          };
      nanos += Math.round(number * scale);
    }
    return Duration.ofNanos(negative ? -nanos : nanos);
  }
}
