package dev.offpath.core.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MessageOptions;
import com.google.protobuf.DescriptorProtos.OneofDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DurationProto;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.StructProto;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.WrappersProto;
import dev.offpath.core.remote.ParamsEncoder.ParamsException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Handler params encoded against a {@code Params} descriptor that exercises every kind of field,
 * read back with {@link DynamicMessage}; and the errors, each naming the offending path.
 */
class ParamsEncoderTest {

  private static final Descriptor PARAMS = params();

  /** {@code test.params.Params}, built as a mixgen config set would carry it. */
  private static Descriptor params() {
    DescriptorProto.Builder m =
        DescriptorProto.newBuilder()
            .setName("Params")
            .addField(field("i32", 1, Type.TYPE_INT32))
            .addField(field("u32", 2, Type.TYPE_UINT32))
            .addField(field("i64", 3, Type.TYPE_INT64))
            .addField(field("u64", 4, Type.TYPE_UINT64))
            .addField(field("f", 5, Type.TYPE_FLOAT))
            .addField(field("d", 6, Type.TYPE_DOUBLE))
            .addField(field("b", 7, Type.TYPE_BOOL))
            .addField(field("s", 8, Type.TYPE_STRING))
            .addField(field("raw", 9, Type.TYPE_BYTES))
            .addField(field("color", 10, Type.TYPE_ENUM).setTypeName(".test.params.Params.Color"))
            .addField(message("inner_msg", 11, ".test.params.Params.Inner"))
            .addField(message("items", 12, ".test.params.Params.Inner").setLabel(Label.LABEL_REPEATED))
            .addField(map("labels", 13, "LabelsEntry"))
            .addField(map("counts", 14, "CountsEntry"))
            .addField(field("a", 15, Type.TYPE_STRING).setOneofIndex(0))
            .addField(field("n", 16, Type.TYPE_INT32).setOneofIndex(0))
            .addField(message("timeout", 17, ".google.protobuf.Duration"))
            .addField(message("at", 18, ".google.protobuf.Timestamp"))
            .addField(message("maybe", 19, ".google.protobuf.Int64Value"))
            .addField(message("extra", 20, ".google.protobuf.Struct"))
            .addField(message("anything", 21, ".google.protobuf.Value"))
            .addField(
                message("durations", 22, ".google.protobuf.Duration")
                    .setLabel(Label.LABEL_REPEATED))
            .addOneofDecl(OneofDescriptorProto.newBuilder().setName("choice"))
            .addNestedType(
                DescriptorProto.newBuilder()
                    .setName("Inner")
                    .addField(field("name", 1, Type.TYPE_STRING)))
            .addNestedType(entry("LabelsEntry", Type.TYPE_STRING, field("value", 2, Type.TYPE_STRING)))
            .addNestedType(entry("CountsEntry", Type.TYPE_INT32, field("value", 2, Type.TYPE_INT64)))
            .addEnumType(
                EnumDescriptorProto.newBuilder()
                    .setName("Color")
                    .addValue(EnumValueDescriptorProto.newBuilder().setName("NONE").setNumber(0))
                    .addValue(EnumValueDescriptorProto.newBuilder().setName("RED").setNumber(1))
                    .addValue(EnumValueDescriptorProto.newBuilder().setName("BLUE").setNumber(2)));
    FileDescriptorProto file =
        FileDescriptorProto.newBuilder()
            .setName("test/params/config.proto")
            .setPackage("test.params")
            .setSyntax("proto3")
            .addDependency("google/protobuf/duration.proto")
            .addDependency("google/protobuf/timestamp.proto")
            .addDependency("google/protobuf/wrappers.proto")
            .addDependency("google/protobuf/struct.proto")
            .addMessageType(m)
            .build();
    FileDescriptorSet set =
        FileDescriptorSet.newBuilder()
            .addFile(file)
            .addFile(DurationProto.getDescriptor().toProto())
            .addFile(TimestampProto.getDescriptor().toProto())
            .addFile(WrappersProto.getDescriptor().toProto())
            .addFile(StructProto.getDescriptor().toProto())
            .build();
    return RemoteAdapters.paramsType(set.toByteString());
  }

  private static FieldDescriptorProto.Builder field(String name, int number, Type type) {
    return FieldDescriptorProto.newBuilder()
        .setName(name)
        .setNumber(number)
        .setType(type)
        .setLabel(Label.LABEL_OPTIONAL)
        .setJsonName(camel(name));
  }

  private static FieldDescriptorProto.Builder message(String name, int number, String type) {
    return field(name, number, Type.TYPE_MESSAGE).setTypeName(type);
  }

  private static FieldDescriptorProto.Builder map(String name, int number, String entry) {
    return message(name, number, ".test.params.Params." + entry).setLabel(Label.LABEL_REPEATED);
  }

  private static DescriptorProto.Builder entry(
      String name, Type key, FieldDescriptorProto.Builder value) {
    return DescriptorProto.newBuilder()
        .setName(name)
        .setOptions(MessageOptions.newBuilder().setMapEntry(true))
        .addField(field("key", 1, key))
        .addField(value);
  }

  private static String camel(String snake) {
    StringBuilder b = new StringBuilder();
    boolean up = false;
    for (char ch : snake.toCharArray()) {
      if (ch == '_') {
        up = true;
      } else {
        b.append(up ? Character.toUpperCase(ch) : ch);
        up = false;
      }
    }
    return b.toString();
  }

  private static DynamicMessage encode(Map<String, Object> values) throws Exception {
    ByteString bytes = ParamsEncoder.encode(PARAMS, values);
    assertThat(ParamsEncoder.encode(PARAMS, values)).isEqualTo(bytes); // deterministic
    return DynamicMessage.parseFrom(PARAMS, bytes);
  }

  private static Object get(DynamicMessage m, String field) {
    FieldDescriptor f = m.getDescriptorForType().findFieldByName(field);
    return m.getField(f);
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void everyKindOfFieldIsEncoded() throws Exception {
    DynamicMessage m =
        encode(
            map(
                "i32", -5,
                "u32", 4_000_000_000L,
                "i64", "9000000000",
                "u64", "18446744073709551615",
                "f", 1.5,
                "d", 7,
                "b", true,
                "s", "text",
                "raw", "AQID",
                "color", "BLUE",
                "innerMsg", map("name", "x"),
                "items", List.of(map("name", "p"), map("name", "q")),
                "labels", map("k", "v"),
                "counts", map("3", 30),
                "n", 2,
                "timeout", "1m30.5s",
                "at", "2026-12-05T14:00:00.25+01:00",
                "maybe", 42,
                "extra", map("on", true, "list", List.of(1, "two")),
                "anything", "hello",
                "durations", List.of("10ms", "2h")));

    assertThat(get(m, "i32")).isEqualTo(-5);
    assertThat(Integer.toUnsignedLong((Integer) get(m, "u32"))).isEqualTo(4_000_000_000L);
    assertThat(get(m, "i64")).isEqualTo(9_000_000_000L);
    assertThat(Long.toUnsignedString((Long) get(m, "u64"))).isEqualTo("18446744073709551615");
    assertThat(get(m, "f")).isEqualTo(1.5f);
    assertThat(get(m, "d")).isEqualTo(7.0);
    assertThat(get(m, "b")).isEqualTo(true);
    assertThat(get(m, "s")).isEqualTo("text");
    assertThat(get(m, "raw")).isEqualTo(ByteString.copyFrom(new byte[] {1, 2, 3}));
    assertThat(get(m, "color").toString()).isEqualTo("BLUE");
    assertThat(get((DynamicMessage) get(m, "inner_msg"), "name")).isEqualTo("x");
    assertThat((List<?>) get(m, "items"))
        .extracting(i -> get((DynamicMessage) i, "name"))
        .containsExactly("p", "q");
    DynamicMessage label = (DynamicMessage) ((List<?>) get(m, "labels")).get(0);
    assertThat(List.of(get(label, "key"), get(label, "value"))).containsExactly("k", "v");
    DynamicMessage count = (DynamicMessage) ((List<?>) get(m, "counts")).get(0);
    assertThat(List.of(get(count, "key"), get(count, "value"))).containsExactly(3, 30L);
    assertThat(get(m, "n")).isEqualTo(2);
    DynamicMessage timeout = (DynamicMessage) get(m, "timeout");
    assertThat(List.of(get(timeout, "seconds"), get(timeout, "nanos")))
        .containsExactly(90L, 500_000_000);
    DynamicMessage at = (DynamicMessage) get(m, "at");
    assertThat(get(at, "seconds"))
        .isEqualTo(java.time.Instant.parse("2026-12-05T13:00:00Z").getEpochSecond());
    assertThat(get(at, "nanos")).isEqualTo(250_000_000);
    assertThat(get((DynamicMessage) get(m, "maybe"), "value")).isEqualTo(42L);
    com.google.protobuf.Struct extra =
        com.google.protobuf.Struct.parseFrom(((DynamicMessage) get(m, "extra")).toByteString());
    assertThat(extra.getFieldsOrThrow("on").getBoolValue()).isTrue();
    assertThat(extra.getFieldsOrThrow("list").getListValue().getValues(0).getNumberValue())
        .isEqualTo(1.0);
    assertThat(extra.getFieldsOrThrow("list").getListValue().getValues(1).getStringValue())
        .isEqualTo("two");
    assertThat(
            com.google.protobuf.Value.parseFrom(
                    ((DynamicMessage) get(m, "anything")).toByteString())
                .getStringValue())
        .isEqualTo("hello");
    assertThat((List<?>) get(m, "durations")).hasSize(2);
    assertThat(encode(map("color", 1)).getField(PARAMS.findFieldByName("color")).toString())
        .isEqualTo("RED");
  }

  private static void refused(Map<String, Object> values, String path, String reason) {
    assertThatThrownBy(() -> ParamsEncoder.encode(PARAMS, values))
        .isInstanceOfSatisfying(
            ParamsException.class,
            e -> {
              assertThat(e.path()).isEqualTo(path);
              assertThat(e.reason()).isEqualTo(reason);
            });
  }

  @Test
  void badValuesAreRefusedWithTheirPath() {
    refused(map("u32", -1), "u32", "-1 is out of range for uint32 (expected: 0..4294967295)");
    refused(
        map("i64", "9223372036854775808"),
        "i64",
        "9223372036854775808 is out of range for int64 (expected:"
            + " -9223372036854775808..9223372036854775807)");
    refused(map("i32", 1.5), "i32", "expected an integer, got 1.5 (a number)");
    refused(map("i32", "ten"), "i32", "expected an integer, got 'ten' (a string)");
    refused(map("f", 1e300), "f", "1.0E300 is out of range for a float");
    refused(map("s", 5), "s", "expected a string, got 5 (an integer)");
    refused(map("raw", "***"), "raw", "not base64: Illegal base64 character 2a");
    refused(
        map("color", 7),
        "color",
        "7 (an integer) is not a Color (expected one of: NONE, RED, BLUE)");
    refused(map("labels", List.of()), "labels", "expected a map, got a list");
    refused(map("items", map()), "items", "expected a list, got a map");
    refused(
        map("items", List.of(map("name", "a"), map("nom", "b"))),
        "items[1].nom",
        "unknown field (expected: name)");
    refused(map("counts", map("three", 3)), "counts.three", "expected an integer, got 'three' (a string)");
    refused(map("a", "x", "n", 1), "n", "'a' is already set (they are one of choice)");
    refused(map("inner_msg", map(), "innerMsg", map()), "innerMsg", "set twice (as 'inner_msg' and 'innerMsg')");
    refused(map("timeout", 10), "timeout", "expected a duration such as \"10s\" or \"500ms\", got 10 (an integer)");
    refused(
        map("at", "yesterday"),
        "at",
        "expected an RFC 3339 timestamp (2006-01-02T15:04:05Z), got 'yesterday' (a string)");
    refused(map("maybe", "x"), "maybe", "expected an integer, got 'x' (a string)");
  }
}
