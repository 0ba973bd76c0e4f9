package dev.offpath.core.remote;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.offpath.core.adapter.Params;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Encodes a handler's {@code params} (plain YAML values: maps, lists, strings, numbers, booleans)
 * into the protobuf bytes of the adapter's {@code Params} message, validating as it goes; what
 * Mixer's {@code mixer/pkg/protobuf/yaml} encoder did for out-of-process handlers, done once per
 * config rather than per call.
 *
 * <p>Field names are the proto name ({@code label_names}) or the JSON name ({@code
 * exponentialBuckets}), as Istio's own configs mix them. Scalars: integers from YAML integers (or
 * decimal strings, as proto JSON allows) with range checks per field type; float and double from
 * any number (or {@code NaN}, {@code Infinity}, {@code -Infinity}); enums by value name or number;
 * bytes as base64; strings only from YAML strings. Messages: maps; repeated fields: lists; map
 * fields: maps; a oneof takes at most one of its fields. Well-known types: {@code Duration} as
 * {@code "10s"} / {@code "1m30s"}, {@code Timestamp} as RFC 3339, the wrappers as their value,
 * {@code Struct} / {@code Value} / {@code ListValue} as any YAML; {@code Any} is refused.
 *
 * <p>Pure and stateless; the output for equal input is equal bytes (fields in number order, map
 * entries in YAML order), so a reload of unchanged params yields an equal handler config.
 */
public final class ParamsEncoder {

  /** Bad params: {@link #path()} names the offending value ({@code metrics[1].kind}). */
  public static final class ParamsException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String path;
    private final String reason;

    ParamsException(String path, String reason) {
      super((path.isEmpty() ? "params" : path) + ": " + reason);
      this.path = path;
      this.reason = reason;
    }

    /** What is wrong with the value, without its path. */
    public String reason() {
      return reason;
    }

    /** The dotted path of the offending value, keys as written; empty for the whole params. */
    public String path() {
      return path;
    }
  }

  private static final String WKT = "google.protobuf.";
  private static final Set<String> WRAPPERS =
      Set.of(
          "DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value",
          "BoolValue", "StringValue", "BytesValue");
  private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  private ParamsEncoder() {}

  /**
   * The serialized {@code type} message that {@code values} describe.
   *
   * @throws ParamsException at the first unknown field, wrong type or out-of-range value
   */
  public static ByteString encode(Descriptor type, Map<?, ?> values) throws ParamsException {
    return message(type, values, "").toByteString();
  }

  private static DynamicMessage message(Descriptor type, Map<?, ?> values, String path)
      throws ParamsException {
    String wkt = type.getFullName().startsWith(WKT) ? type.getFullName().substring(WKT.length()) : "";
    if (wkt.equals("Struct")) {
      return struct(type, values, path);
    }
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    Map<OneofDescriptor, String> oneofs = new HashMap<>();
    Map<FieldDescriptor, String> seen = new HashMap<>();
    for (Map.Entry<?, ?> e : values.entrySet()) {
      String key = String.valueOf(e.getKey());
      String at = path.isEmpty() ? key : path + "." + key;
      FieldDescriptor f = field(type, key);
      if (f == null) {
        throw new ParamsException(
            at,
            "unknown field (expected: "
                + String.join(", ", type.getFields().stream().map(FieldDescriptor::getName).toList())
                + ")");
      }
      String twice = seen.putIfAbsent(f, key);
      if (twice != null) {
        throw new ParamsException(at, "set twice (as '" + twice + "' and '" + key + "')");
      }
      if (e.getValue() == null) {
        continue;
      }
      OneofDescriptor oneof = f.getRealContainingOneof();
      if (oneof != null) {
        String prior = oneofs.putIfAbsent(oneof, key);
        if (prior != null) {
          throw new ParamsException(
              at, "'" + prior + "' is already set (they are one of " + oneof.getName() + ")");
        }
      }
      set(b, f, e.getValue(), at);
    }
    return b.build();
  }

  /** The field named {@code key}: proto name, JSON name, or the snake_case of a camelCase key. */
  private static @Nullable FieldDescriptor field(Descriptor type, String key) {
    FieldDescriptor f = type.findFieldByName(key);
    if (f != null) {
      return f;
    }
    for (FieldDescriptor candidate : type.getFields()) {
      if (candidate.getJsonName().equals(key)) {
        return candidate;
      }
    }
    return type.findFieldByName(Params.snakeCase(key));
  }

  private static void set(DynamicMessage.Builder b, FieldDescriptor f, Object value, String path)
      throws ParamsException {
    if (f.isMapField()) {
      if (!(value instanceof Map<?, ?> map)) {
        throw new ParamsException(path, "expected a map, got " + describe(value));
      }
      Descriptor entry = f.getMessageType();
      FieldDescriptor k = entry.findFieldByNumber(1);
      FieldDescriptor v = entry.findFieldByNumber(2);
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String at = path + "." + e.getKey();
        DynamicMessage.Builder eb = DynamicMessage.newBuilder(entry);
        eb.setField(k, mapKey(k, String.valueOf(e.getKey()), at));
        if (e.getValue() != null) {
          eb.setField(v, single(v, e.getValue(), at));
        }
        b.addRepeatedField(f, eb.build());
      }
    } else if (f.isRepeated()) {
      if (!(value instanceof List<?> list)) {
        throw new ParamsException(path, "expected a list, got " + describe(value));
      }
      for (int i = 0; i < list.size(); i++) {
        Object item = list.get(i);
        String at = path + "[" + i + "]";
        if (item == null) {
          throw new ParamsException(at, "null in a list");
        }
        b.addRepeatedField(f, single(f, item, at));
      }
    } else {
      b.setField(f, single(f, value, path));
    }
  }

  private static Object mapKey(FieldDescriptor k, String key, String path) throws ParamsException {
    return switch (k.getJavaType()) {
      case STRING -> key;
      case BOOLEAN -> {
        if (!key.equals("true") && !key.equals("false")) {
          throw new ParamsException(path, "map key '" + key + "' is not a bool");
        }
        yield Boolean.valueOf(key);
      }
      default -> single(k, key, path);
    };
  }

  /** One value of field {@code f} (an element when the field is repeated). */
  private static Object single(FieldDescriptor f, Object value, String path) throws ParamsException {
    return switch (f.getJavaType()) {
      case INT -> (int) integer(f, value, path);
      case LONG -> integer(f, value, path);
      case FLOAT -> {
        double d = floating(value, path);
        if (Double.isFinite(d) && Math.abs(d) > Float.MAX_VALUE) {
          throw new ParamsException(path, d + " is out of range for a float");
        }
        yield (float) d;
      }
      case DOUBLE -> floating(value, path);
      case BOOLEAN -> {
        if (!(value instanceof Boolean bool)) {
          throw new ParamsException(path, "expected true or false, got " + describe(value));
        }
        yield bool;
      }
      case STRING -> {
        if (!(value instanceof String s)) {
          throw new ParamsException(path, "expected a string, got " + describe(value));
        }
        yield s;
      }
      case BYTE_STRING -> {
        if (!(value instanceof String s)) {
          throw new ParamsException(path, "expected base64 bytes, got " + describe(value));
        }
        try {
          yield ByteString.copyFrom(Base64.getDecoder().decode(s.trim()));
        } catch (IllegalArgumentException e) {
          throw new ParamsException(path, "not base64: " + e.getMessage());
        }
      }
      case ENUM -> enumValue(f.getEnumType(), value, path);
      case MESSAGE -> messageValue(f.getMessageType(), value, path);
    };
  }

  private static long integer(FieldDescriptor f, Object value, String path) throws ParamsException {
    BigInteger n;
    if (value instanceof Integer || value instanceof Long) {
      n = BigInteger.valueOf(((Number) value).longValue());
    } else if (value instanceof String s) {
      try {
        n = new BigDecimal(s.trim()).toBigIntegerExact();
      } catch (NumberFormatException | ArithmeticException e) {
        throw new ParamsException(path, "expected an integer, got " + describe(value));
      }
    } else if (value instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
      n = BigDecimal.valueOf(d).toBigIntegerExact();
    } else {
      throw new ParamsException(path, "expected an integer, got " + describe(value));
    }
    BigInteger min;
    BigInteger max;
    boolean unsigned;
    switch (f.getType()) {
      case INT32, SINT32, SFIXED32 -> {
        min = BigInteger.valueOf(Integer.MIN_VALUE);
        max = BigInteger.valueOf(Integer.MAX_VALUE);
        unsigned = false;
      }
      case UINT32, FIXED32 -> {
        min = BigInteger.ZERO;
        max = BigInteger.valueOf(0xFFFF_FFFFL);
        unsigned = true;
      }
      case UINT64, FIXED64 -> {
        min = BigInteger.ZERO;
        max = UINT64_MAX;
        unsigned = true;
      }
      default -> {
        min = BigInteger.valueOf(Long.MIN_VALUE);
        max = BigInteger.valueOf(Long.MAX_VALUE);
        unsigned = false;
      }
    }
    if (n.compareTo(min) < 0 || n.compareTo(max) > 0) {
      throw new ParamsException(
          path,
          n + " is out of range for " + f.getType().name().toLowerCase(java.util.Locale.ROOT)
              + " (expected: " + min + ".." + max + ")");
    }
    // protobuf-java carries uint32/uint64 in int/long with the same bits.
    return unsigned ? n.longValue() : n.longValueExact();
  }

  private static double floating(Object value, String path) throws ParamsException {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    if (value instanceof String s) {
      switch (s.trim()) {
        case "NaN", ".nan", ".NaN" -> {
          return Double.NaN;
        }
        case "Infinity", ".inf", ".Inf" -> {
          return Double.POSITIVE_INFINITY;
        }
        case "-Infinity", "-.inf", "-.Inf" -> {
          return Double.NEGATIVE_INFINITY;
        }
        default -> {
          try {
            return Double.parseDouble(s.trim());
          } catch (NumberFormatException e) {
            // fall through to the error
          }
        }
      }
    }
    throw new ParamsException(path, "expected a number, got " + describe(value));
  }

  private static EnumValueDescriptor enumValue(EnumDescriptor type, Object value, String path)
      throws ParamsException {
    EnumValueDescriptor v = null;
    if (value instanceof String s) {
      v = type.findValueByName(s.trim());
    } else if (value instanceof Integer || value instanceof Long) {
      long n = ((Number) value).longValue();
      v = n == (int) n ? type.findValueByNumber((int) n) : null;
    }
    if (v == null) {
      throw new ParamsException(
          path,
          describe(value)
              + " is not a "
              + type.getName()
              + " (expected one of: "
              + String.join(
                  ", ", type.getValues().stream().map(EnumValueDescriptor::getName).toList())
              + ")");
    }
    return v;
  }

  private static DynamicMessage messageValue(Descriptor type, Object value, String path)
      throws ParamsException {
    String name = type.getFullName();
    if (name.startsWith(WKT)) {
      String wkt = name.substring(WKT.length());
      if (wkt.equals("Duration")) {
        return duration(type, value, path);
      }
      if (wkt.equals("Timestamp")) {
        return timestamp(type, value, path);
      }
      if (WRAPPERS.contains(wkt)) {
        DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
        FieldDescriptor f = type.findFieldByNumber(1);
        b.setField(f, single(f, value, path));
        return b.build();
      }
      if (wkt.equals("Value")) {
        return jsonValue(type, value, path);
      }
      if (wkt.equals("ListValue")) {
        if (!(value instanceof List<?> list)) {
          throw new ParamsException(path, "expected a list, got " + describe(value));
        }
        return listValue(type, list, path);
      }
      if (wkt.equals("Any")) {
        throw new ParamsException(path, "google.protobuf.Any params are not supported");
      }
    }
    if (!(value instanceof Map<?, ?> map)) {
      throw new ParamsException(
          path, "expected a map (message " + type.getName() + "), got " + describe(value));
    }
    return message(type, map, path);
  }

  private static DynamicMessage duration(Descriptor type, Object value, String path)
      throws ParamsException {
    if (!(value instanceof String s)) {
      throw new ParamsException(
          path, "expected a duration such as \"10s\" or \"500ms\", got " + describe(value));
    }
    Duration d;
    try {
      d = Params.parseDuration(s);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new ParamsException(
          path, "'" + s + "' is not a duration (expected e.g. \"10s\", \"500ms\")");
    }
    return DynamicMessage.newBuilder(type)
        .setField(type.findFieldByName("seconds"), d.getSeconds())
        .setField(type.findFieldByName("nanos"), d.getNano())
        .build();
  }

  private static DynamicMessage timestamp(Descriptor type, Object value, String path)
      throws ParamsException {
    Instant t;
    try {
      if (!(value instanceof String s)) {
        throw new DateTimeParseException("not a string", String.valueOf(value), 0);
      }
      t = OffsetDateTime.parse(s.trim()).toInstant();
    } catch (DateTimeParseException e) {
      throw new ParamsException(
          path, "expected an RFC 3339 timestamp (2006-01-02T15:04:05Z), got " + describe(value));
    }
    return DynamicMessage.newBuilder(type)
        .setField(type.findFieldByName("seconds"), t.getEpochSecond())
        .setField(type.findFieldByName("nanos"), t.getNano())
        .build();
  }

  private static DynamicMessage struct(Descriptor type, Map<?, ?> values, String path)
      throws ParamsException {
    FieldDescriptor fields = type.findFieldByName("fields");
    Descriptor entry = fields.getMessageType();
    Descriptor valueType = entry.findFieldByNumber(2).getMessageType();
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    for (Map.Entry<?, ?> e : values.entrySet()) {
      String at = path.isEmpty() ? String.valueOf(e.getKey()) : path + "." + e.getKey();
      b.addRepeatedField(
          fields,
          DynamicMessage.newBuilder(entry)
              .setField(entry.findFieldByNumber(1), String.valueOf(e.getKey()))
              .setField(entry.findFieldByNumber(2), jsonValue(valueType, e.getValue(), at))
              .build());
    }
    return b.build();
  }

  private static DynamicMessage listValue(Descriptor type, List<?> list, String path)
      throws ParamsException {
    FieldDescriptor values = type.findFieldByName("values");
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    for (int i = 0; i < list.size(); i++) {
      b.addRepeatedField(
          values, jsonValue(values.getMessageType(), list.get(i), path + "[" + i + "]"));
    }
    return b.build();
  }

  /** A {@code google.protobuf.Value} holding any YAML value. */
  private static DynamicMessage jsonValue(Descriptor type, @Nullable Object value, String path)
      throws ParamsException {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    switch (value) {
      case null -> {
        FieldDescriptor f = type.findFieldByName("null_value");
        b.setField(f, f.getEnumType().findValueByNumber(0));
      }
      case Boolean bool -> b.setField(type.findFieldByName("bool_value"), bool);
      case Number n -> b.setField(type.findFieldByName("number_value"), n.doubleValue());
      case String s -> b.setField(type.findFieldByName("string_value"), s);
      case Map<?, ?> map -> {
        FieldDescriptor f = type.findFieldByName("struct_value");
        b.setField(f, struct(f.getMessageType(), map, path));
      }
      case List<?> list -> {
        FieldDescriptor f = type.findFieldByName("list_value");
        b.setField(f, listValue(f.getMessageType(), list, path));
      }
      default -> throw new ParamsException(path, "unsupported value " + describe(value));
    }
    return b.build();
  }

  /** How a YAML value reads in an error: its text and its YAML type. */
  private static String describe(Object value) {
    return switch (value) {
      case String s -> "'" + s + "' (a string)";
      case Integer i -> i + " (an integer)";
      case Long l -> l + " (an integer)";
      case Double d -> d + " (a number)";
      case Boolean bool -> bool + " (a bool)";
      case Map<?, ?> m -> "a map";
      case List<?> l -> "a list";
      default -> String.valueOf(value);
    };
  }
}
