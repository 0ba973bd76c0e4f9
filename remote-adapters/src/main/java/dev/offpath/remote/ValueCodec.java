package dev.offpath.remote;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.WireFormat;
import dev.offpath.core.attribute.AttributeValues;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Writes one field of a template message from an expression result, planned once from the field's
 * descriptor: a scalar ({@code string}, {@code int64}, …), an {@code istio.policy.v1beta1.Value}
 * (its oneof chosen by the Java value's type, see {@link ValueType}), one of Istio's wrapper
 * messages ({@code IPAddress}, {@code TimeStamp}, {@code Duration}, {@code EmailAddress}, {@code
 * DNSName}, {@code Uri}, {@code StringMap}) or a {@code google.protobuf.Timestamp} / {@code
 * Duration}. Every tag is computed here, once; {@link #size} and {@link #write} agree byte for
 * byte, and follow protobuf's own serialization (a proto3 scalar without presence is omitted when
 * it holds its default value) so that the bytes equal a {@code DynamicMessage}'s.
 *
 * <p>Immutable and thread-safe.
 */
abstract sealed class ValueCodec {

  /** The field's tag; 0 for a map entry's value written without one (never used so). */
  final int number;

  ValueCodec(int number) {
    this.number = number;
  }

  /** The bytes {@link #write} writes for {@code value}, tag included; 0 when it writes nothing. */
  abstract int size(Object value);

  abstract void write(CodedOutputStream out, Object value) throws IOException;

  /**
   * Writes {@code value} whose {@link #size} the caller has computed already ({@code size}), so
   * that a codec may skip measuring it again.
   */
  void write(CodedOutputStream out, Object value, int size) throws IOException {
    write(out, value);
  }

  /** The content size of a length-delimited field {@code number} whose whole size is {@code size}. */
  static int contentOf(int number, int size) {
    int rest = size - CodedOutputStream.computeTagSize(number);
    for (int length = 1; length <= 5; length++) {
      if (CodedOutputStream.computeUInt32SizeNoTag(rest - length) == length) {
        return rest - length;
      }
    }
    throw new IllegalArgumentException("no length-delimited field " + number + " has size " + size);
  }

  /**
   * The codec of {@code field} (a singular field or a map entry's value).
   *
   * @param hint the declared type of the expression ({@code EMAIL_ADDRESS} picks the e-mail
   *     wrapper for a string), or null
   * @throws IllegalArgumentException for a field type no template uses
   */
  static ValueCodec of(FieldDescriptor field, @Nullable ValueType hint) {
    if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
      return new Scalar(field);
    }
    Descriptor type = field.getMessageType();
    return switch (type.getFullName()) {
      case "istio.policy.v1beta1.Value" -> new Value(field.getNumber(), type, hint);
      case "istio.policy.v1beta1.IPAddress",
          "istio.policy.v1beta1.TimeStamp",
          "istio.policy.v1beta1.Duration",
          "istio.policy.v1beta1.EmailAddress",
          "istio.policy.v1beta1.DNSName",
          "istio.policy.v1beta1.Uri",
          "istio.policy.v1beta1.StringMap",
          "google.protobuf.Timestamp",
          "google.protobuf.Duration" -> new Wrapper(field.getNumber(), type);
      default ->
          throw new IllegalArgumentException(
              "field " + field.getFullName() + ": message type " + type.getFullName()
                  + " is not a value type");
    };
  }

  static int lengthDelimitedSize(int number, int contentSize) {
    return CodedOutputStream.computeTagSize(number)
        + CodedOutputStream.computeUInt32SizeNoTag(contentSize)
        + contentSize;
  }

  static void writeHeader(CodedOutputStream out, int number, int contentSize) throws IOException {
    out.writeTag(number, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    out.writeUInt32NoTag(contentSize);
  }

  static IllegalArgumentException mismatch(String what, Object value) {
    return new IllegalArgumentException(
        what + ": a " + value.getClass().getSimpleName() + " value does not fit");
  }

  /** A scalar field ({@code string}, the integer types, {@code double}, {@code bool}, …). */
  static final class Scalar extends ValueCodec {
    private final FieldDescriptor.Type type;
    private final boolean skipDefault;
    private final String name;

    Scalar(FieldDescriptor field) {
      super(field.getNumber());
      this.type = field.getType();
      this.skipDefault = !field.hasPresence();
      this.name = field.getFullName();
      if (field.isRepeated() && !field.isMapField()) {
        throw new IllegalArgumentException("field " + name + ": repeated scalars are not supported");
      }
      if (type == FieldDescriptor.Type.GROUP) {
        throw new IllegalArgumentException("field " + name + ": groups are not supported");
      }
    }

    @Override
    int size(Object value) {
      return switch (type) {
        case STRING -> {
          String s = text(value);
          yield skipDefault && s.isEmpty() ? 0 : CodedOutputStream.computeStringSize(number, s);
        }
        case BYTES -> {
          byte[] b = bytes(value);
          yield skipDefault && b.length == 0 ? 0 : CodedOutputStream.computeByteArraySize(number, b);
        }
        case BOOL -> skipDefault && !bool(value) ? 0 : CodedOutputStream.computeBoolSize(number, true);
        case DOUBLE -> skipDefault && isZero(real(value)) ? 0 : CodedOutputStream.computeDoubleSize(number, 0);
        case FLOAT -> skipDefault && isZero(real(value)) ? 0 : CodedOutputStream.computeFloatSize(number, 0);
        default -> {
          long v = integer(value);
          yield skipDefault && v == 0 ? 0 : integerSize(v);
        }
      };
    }

    private int integerSize(long v) {
      return switch (type) {
        case INT64 -> CodedOutputStream.computeInt64Size(number, v);
        case UINT64 -> CodedOutputStream.computeUInt64Size(number, v);
        case SINT64 -> CodedOutputStream.computeSInt64Size(number, v);
        case INT32 -> CodedOutputStream.computeInt32Size(number, (int) v);
        case UINT32 -> CodedOutputStream.computeUInt32Size(number, (int) v);
        case SINT32 -> CodedOutputStream.computeSInt32Size(number, (int) v);
        case ENUM -> CodedOutputStream.computeEnumSize(number, (int) v);
        case FIXED32, SFIXED32 -> CodedOutputStream.computeFixed32Size(number, (int) v);
        case FIXED64, SFIXED64 -> CodedOutputStream.computeFixed64Size(number, v);
        default -> throw new IllegalStateException(type.toString());
      };
    }

    @Override
    void write(CodedOutputStream out, Object value) throws IOException {
      switch (type) {
        case STRING -> {
          String s = text(value);
          if (!(skipDefault && s.isEmpty())) {
            out.writeString(number, s);
          }
        }
        case BYTES -> {
          byte[] b = bytes(value);
          if (!(skipDefault && b.length == 0)) {
            out.writeByteArray(number, b);
          }
        }
        case BOOL -> {
          boolean b = bool(value);
          if (!(skipDefault && !b)) {
            out.writeBool(number, b);
          }
        }
        case DOUBLE -> {
          double d = real(value);
          if (!(skipDefault && isZero(d))) {
            out.writeDouble(number, d);
          }
        }
        case FLOAT -> {
          double d = real(value);
          if (!(skipDefault && isZero(d))) {
            out.writeFloat(number, (float) d);
          }
        }
        default -> {
          long v = integer(value);
          if (skipDefault && v == 0) {
            return;
          }
          switch (type) {
            case INT64 -> out.writeInt64(number, v);
            case UINT64 -> out.writeUInt64(number, v);
            case SINT64 -> out.writeSInt64(number, v);
            case INT32 -> out.writeInt32(number, (int) v);
            case UINT32 -> out.writeUInt32(number, (int) v);
            case SINT32 -> out.writeSInt32(number, (int) v);
            case ENUM -> out.writeEnum(number, (int) v);
            case FIXED32 -> out.writeFixed32(number, (int) v);
            case SFIXED32 -> out.writeSFixed32(number, (int) v);
            case FIXED64 -> out.writeFixed64(number, v);
            case SFIXED64 -> out.writeSFixed64(number, v);
            default -> throw new IllegalStateException(type.toString());
          }
        }
      }
    }

    /** Positive and negative zero both are the default (protobuf compares raw bits: -0.0 is written). */
    private static boolean isZero(double d) {
      return Double.doubleToRawLongBits(d) == 0;
    }

    private static String text(Object value) {
      return value instanceof String s ? s : AttributeValues.toText(value);
    }

    private byte[] bytes(Object value) {
      return switch (value) {
        case byte[] b -> b;
        case IpAddress ip -> ip.bytes();
        case String s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        default -> throw mismatch(name, value);
      };
    }

    private boolean bool(Object value) {
      if (value instanceof Boolean b) {
        return b;
      }
      throw mismatch(name, value);
    }

    private double real(Object value) {
      if (value instanceof Number n) {
        return n.doubleValue();
      }
      throw mismatch(name, value);
    }

    private long integer(Object value) {
      if (value instanceof Long || value instanceof Integer || value instanceof Short) {
        return ((Number) value).longValue();
      }
      if (value instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
        return d.longValue();
      }
      throw mismatch(name, value);
    }
  }

  /** {@code istio.policy.v1beta1.Value}: the oneof member follows the value's Java type. */
  static final class Value extends ValueCodec {
    private final int string;
    private final int int64;
    private final int dbl;
    private final int bool;
    private final Wrapper ip;
    private final Wrapper timestamp;
    private final Wrapper duration;
    private final Wrapper stringMap;
    private final @Nullable Wrapper textWrapper;

    Value(int number, Descriptor type, @Nullable ValueType hint) {
      super(number);
      this.string = number(type, "string_value");
      this.int64 = number(type, "int64_value");
      this.dbl = number(type, "double_value");
      this.bool = number(type, "bool_value");
      this.ip = wrapper(type, "ip_address_value");
      this.timestamp = wrapper(type, "timestamp_value");
      this.duration = wrapper(type, "duration_value");
      this.stringMap = wrapper(type, "string_map_value");
      this.textWrapper =
          hint == null
              ? null
              : switch (hint) {
                case EMAIL_ADDRESS -> wrapper(type, "email_address_value");
                case DNS_NAME -> wrapper(type, "dns_name_value");
                case URI -> wrapper(type, "uri_value");
                default -> null;
              };
    }

    private static int number(Descriptor type, String name) {
      FieldDescriptor f = type.findFieldByName(name);
      if (f == null) {
        throw new IllegalArgumentException(type.getFullName() + " has no field " + name);
      }
      return f.getNumber();
    }

    private static Wrapper wrapper(Descriptor type, String name) {
      FieldDescriptor f = type.findFieldByName(name);
      if (f == null || f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        throw new IllegalArgumentException(type.getFullName() + " has no message field " + name);
      }
      return new Wrapper(f.getNumber(), f.getMessageType());
    }

    /** The size of the Value message's content. */
    int contentSize(Object value) {
      return switch (value) {
        case String s ->
            textWrapper != null
                ? textWrapper.size(s)
                : CodedOutputStream.computeStringSize(string, s);
        case Long l -> CodedOutputStream.computeInt64Size(int64, l);
        case Integer i -> CodedOutputStream.computeInt64Size(int64, i);
        case Double d -> CodedOutputStream.computeDoubleSize(dbl, d);
        case Boolean b -> CodedOutputStream.computeBoolSize(bool, b);
        case IpAddress a -> ip.size(a);
        case byte[] b -> ip.size(b);
        case Instant t -> timestamp.size(t);
        case Duration d -> duration.size(d);
        case StringMap m -> stringMap.size(m);
        default -> throw mismatch("istio.policy.v1beta1.Value", value);
      };
    }

    void writeContent(CodedOutputStream out, Object value) throws IOException {
      switch (value) {
        case String s -> {
          if (textWrapper != null) {
            textWrapper.write(out, s);
          } else {
            out.writeString(string, s);
          }
        }
        case Long l -> out.writeInt64(int64, l);
        case Integer i -> out.writeInt64(int64, i);
        case Double d -> out.writeDouble(dbl, d);
        case Boolean b -> out.writeBool(bool, b);
        case IpAddress a -> ip.write(out, a);
        case byte[] b -> ip.write(out, b);
        case Instant t -> timestamp.write(out, t);
        case Duration d -> duration.write(out, d);
        case StringMap m -> stringMap.write(out, m);
        default -> throw mismatch("istio.policy.v1beta1.Value", value);
      }
    }

    @Override
    int size(Object value) {
      return lengthDelimitedSize(number, contentSize(value));
    }

    @Override
    void write(CodedOutputStream out, Object value) throws IOException {
      writeHeader(out, number, contentSize(value));
      writeContent(out, value);
    }

    @Override
    void write(CodedOutputStream out, Object value, int size) throws IOException {
      writeHeader(out, number, contentOf(number, size));
      writeContent(out, value);
    }
  }

  /**
   * One of Istio's single-field wrappers ({@code IPAddress{bytes value = 1}}, {@code
   * TimeStamp{google.protobuf.Timestamp value = 1}}, {@code StringMap{map<string, string> value =
   * 1}}, …) or a {@code google.protobuf.Timestamp} / {@code Duration} itself.
   */
  static final class Wrapper extends ValueCodec {
    private enum Kind {
      BYTES,
      TEXT,
      TIME,
      DURATION,
      MAP,
      /** A google.protobuf.Timestamp or Duration: seconds and nanos directly. */
      SECONDS
    }

    private final Kind kind;
    private final String typeName;
    /** The wrapper's field; for TIME and DURATION the google type's message inside it. */
    private final int inner;
    private final int seconds;
    private final int nanos;
    private final int mapKey;
    private final int mapValue;

    Wrapper(int number, Descriptor type) {
      super(number);
      this.typeName = type.getFullName();
      int s = 1;
      int n = 2;
      int k = 1;
      int v = 2;
      if (typeName.equals("google.protobuf.Timestamp") || typeName.equals("google.protobuf.Duration")) {
        this.kind = Kind.SECONDS;
        this.inner = 0;
        s = type.findFieldByName("seconds").getNumber();
        n = type.findFieldByName("nanos").getNumber();
      } else {
        FieldDescriptor f = type.findFieldByName("value");
        if (f == null) {
          throw new IllegalArgumentException(typeName + " has no field value");
        }
        this.inner = f.getNumber();
        if (f.isMapField()) {
          this.kind = Kind.MAP;
          k = f.getMessageType().findFieldByName("key").getNumber();
          v = f.getMessageType().findFieldByName("value").getNumber();
        } else if (f.getType() == FieldDescriptor.Type.BYTES) {
          this.kind = Kind.BYTES;
        } else if (f.getType() == FieldDescriptor.Type.STRING) {
          this.kind = Kind.TEXT;
        } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
          Descriptor google = f.getMessageType();
          this.kind =
              google.getFullName().equals("google.protobuf.Timestamp") ? Kind.TIME : Kind.DURATION;
          s = google.findFieldByName("seconds").getNumber();
          n = google.findFieldByName("nanos").getNumber();
        } else {
          throw new IllegalArgumentException(typeName + ".value: unexpected type " + f.getType());
        }
      }
      this.seconds = s;
      this.nanos = n;
      this.mapKey = k;
      this.mapValue = v;
    }

    private int secondsSize(long secs, int ns) {
      return (secs == 0 ? 0 : CodedOutputStream.computeInt64Size(seconds, secs))
          + (ns == 0 ? 0 : CodedOutputStream.computeInt32Size(nanos, ns));
    }

    private void writeSeconds(CodedOutputStream out, long secs, int ns) throws IOException {
      if (secs != 0) {
        out.writeInt64(seconds, secs);
      }
      if (ns != 0) {
        out.writeInt32(nanos, ns);
      }
    }

    /** The size of the wrapper message's content. */
    private int contentSize(Object value) {
      switch (kind) {
        case BYTES -> {
          byte[] b = value instanceof IpAddress a ? a.bytes() : bytes(value);
          return b.length == 0 ? 0 : CodedOutputStream.computeByteArraySize(inner, b);
        }
        case TEXT -> {
          String s = value instanceof String t ? t : AttributeValues.toText(value);
          return s.isEmpty() ? 0 : CodedOutputStream.computeStringSize(inner, s);
        }
        case TIME, DURATION -> {
          return lengthDelimitedSize(inner, secondsContent(value));
        }
        case SECONDS -> {
          return secondsContent(value);
        }
        case MAP -> {
          int size = 0;
          for (Map.Entry<String, String> e : map(value).entrySet()) {
            size += lengthDelimitedSize(inner, entrySize(e.getKey(), e.getValue()));
          }
          return size;
        }
      }
      throw new IllegalStateException(kind.toString());
    }

    private int entrySize(String key, String value) {
      return (key.isEmpty() ? 0 : CodedOutputStream.computeStringSize(mapKey, key))
          + (value.isEmpty() ? 0 : CodedOutputStream.computeStringSize(mapValue, value));
    }

    private int secondsContent(Object value) {
      return switch (value) {
        case Instant t -> secondsSize(t.getEpochSecond(), t.getNano());
        case Duration d -> secondsSize(d.getSeconds(), d.getNano());
        default -> throw mismatch(typeName, value);
      };
    }

    private byte[] bytes(Object value) {
      if (value instanceof byte[] b) {
        return b;
      }
      throw mismatch(typeName, value);
    }

    private Map<String, String> map(Object value) {
      if (value instanceof StringMap m) {
        return m.asMap();
      }
      throw mismatch(typeName, value);
    }

    private void writeContent(CodedOutputStream out, Object value) throws IOException {
      switch (kind) {
        case BYTES -> {
          byte[] b = value instanceof IpAddress a ? a.bytes() : bytes(value);
          if (b.length > 0) {
            out.writeByteArray(inner, b);
          }
        }
        case TEXT -> {
          String s = value instanceof String t ? t : AttributeValues.toText(value);
          if (!s.isEmpty()) {
            out.writeString(inner, s);
          }
        }
        case TIME, DURATION -> {
          writeHeader(out, inner, secondsContent(value));
          writeSecondsOf(out, value);
        }
        case SECONDS -> writeSecondsOf(out, value);
        case MAP -> {
          for (Map.Entry<String, String> e : map(value).entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            writeHeader(out, inner, entrySize(k, v));
            if (!k.isEmpty()) {
              out.writeString(mapKey, k);
            }
            if (!v.isEmpty()) {
              out.writeString(mapValue, v);
            }
          }
        }
      }
    }

    private void writeSecondsOf(CodedOutputStream out, Object value) throws IOException {
      switch (value) {
        case Instant t -> writeSeconds(out, t.getEpochSecond(), t.getNano());
        case Duration d -> writeSeconds(out, d.getSeconds(), d.getNano());
        default -> throw mismatch(typeName, value);
      }
    }

    @Override
    int size(Object value) {
      return lengthDelimitedSize(number, contentSize(value));
    }

    @Override
    void write(CodedOutputStream out, Object value) throws IOException {
      writeHeader(out, number, contentSize(value));
      writeContent(out, value);
    }
  }
}
