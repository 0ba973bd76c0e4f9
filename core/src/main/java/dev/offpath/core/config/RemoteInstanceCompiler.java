package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.entries;
import static dev.offpath.core.config.YamlNodes.isNull;
import static dev.offpath.core.config.YamlNodes.text;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.References.Active;
import dev.offpath.core.config.References.Failed;
import dev.offpath.core.config.References.Key;
import dev.offpath.core.config.References.Skipped;
import dev.offpath.core.config.References.Slot;
import dev.offpath.core.config.YamlNodes.DuplicateKeys;
import dev.offpath.core.config.YamlNodes.Entry;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.remote.RemoteTemplate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * A {@code kind: instance} of an out-of-process template ({@code spec.template} names a {@code
 * kind: template} object; README "Out-of-process adapters"), called by {@link InstanceCompiler}.
 * Every field of {@code params} is an expression, type-checked at load against the template's
 * {@code InstanceMsg} field:
 *
 * <ul>
 *   <li>{@code istio.policy.v1beta1.Value}: any type; STRING_MAP only when that {@code Value}
 *       message has a {@code string_map_value} field;
 *   <li>string: STRING; int64/int32 (any integer kind): INT64; double/float: DOUBLE; bool: BOOL;
 *   <li>{@code istio.policy.v1beta1.IPAddress}: IP_ADDRESS; {@code TimeStamp} or {@code
 *       google.protobuf.Timestamp}: TIMESTAMP; {@code Duration} (either): DURATION; {@code
 *       EmailAddress}, {@code DNSName}, {@code Uri}: EMAIL_ADDRESS, DNS_NAME, URI;
 *   <li>{@code map<string, Value>} and {@code map<string, string>}: a map of expressions (any
 *       type, STRING);
 *   <li>any other message: its own fields, recursively ({@code subject.user}).
 * </ul>
 *
 * Enums, bytes and repeated fields cannot be fed from an expression; setting one is an error. The
 * {@code name} field (72295727) is filled at dispatch with the instance's full name and may not be
 * set. Keys are the proto name or its camelCase form; the compiled fields are keyed by the dotted
 * path of proto names (map keys as written). Errors are category INSTANCE at the field's line.
 *
 * <p>One instance per object; not thread-safe.
 */
final class RemoteInstanceCompiler {

  /** {@code InstanceMsg.name}, set by the dispatcher to the instance's full name. */
  static final int NAME_FIELD = 72295727;

  private static final String POLICY = "istio.policy.v1beta1.";

  private final ConfigObject object;
  private final String what;
  private final Compilation c;
  private final Map<String, Expression> out = new LinkedHashMap<>();
  private boolean failed;

  private RemoteInstanceCompiler(ConfigObject object, String what, Compilation c) {
    this.object = object;
    this.what = what;
    this.c = c;
  }

  /** Compiles instance {@code o} of template {@code templateRef} into {@code c.instances}. */
  static void compile(
      ConfigObject o,
      Key key,
      String what,
      String templateRef,
      int templateLine,
      @Nullable Node params,
      Compilation c) {
    Slot<RemoteTemplate> slot =
        AdapterKindCompiler.resolveTemplate(
            templateRef, o, templateLine, what, Category.INSTANCE, c);
    switch (slot) {
      case null -> c.instances.put(key, new Failed<>(o.source()));
      case Failed<RemoteTemplate> f -> c.instances.put(key, new Failed<>(o.source()));
      case Skipped<RemoteTemplate> s -> {
        String reason = "template '" + templateRef + "': " + s.reason();
        c.warning(o.source(), what + ": " + reason + "; instance skipped");
        c.instances.put(key, new Skipped<>(reason, o.source()));
      }
      case Active<RemoteTemplate> a -> {
        RemoteTemplate template = a.value();
        RemoteInstanceCompiler fields = new RemoteInstanceCompiler(o, what, c);
        fields.message(template.instance(), params, "", o.specLine());
        c.instances.put(
            key,
            fields.failed
                ? new Failed<>(o.source())
                : new Active<>(
                    InstanceConfig.remote(key.fqn(), template, fields.out, o.source()),
                    o.source()));
      }
    }
  }

  private void message(Descriptor type, @Nullable Node node, String prefix, int line) {
    if (isNull(node)) {
      return;
    }
    if (!(node instanceof MappingNode mapping)) {
      fail(line, (prefix.isEmpty() ? "params" : prefix) + ": expected a map of fields");
      return;
    }
    String dotted = prefix.isEmpty() ? "" : prefix + ".";
    DuplicateKeys dups = c.duplicates(object.source().file(), Category.INSTANCE, what);
    for (Entry e : entries(mapping, dups).values()) {
      FieldDescriptor f = field(type, e.key());
      if (f == null) {
        fail(
            e.line(),
            "unknown field '"
                + dotted
                + e.key()
                + "' (expected: "
                + String.join(", ", settable(type))
                + ")");
        continue;
      }
      String path = dotted + f.getName();
      if (prefix.isEmpty() && f.getNumber() == NAME_FIELD) {
        fail(e.line(), path + ": set by Offpath to the instance's full name; config may not set it");
        continue;
      }
      field(f, e, path);
    }
  }

  private void field(FieldDescriptor f, Entry e, String path) {
    if (isNull(e.value())) {
      return;
    }
    if (f.isMapField()) {
      FieldDescriptor key = f.getMessageType().findFieldByNumber(1);
      FieldDescriptor value = f.getMessageType().findFieldByNumber(2);
      Shape shape = value.isRepeated() ? null : shape(value);
      if (key.getJavaType() != FieldDescriptor.JavaType.STRING
          || shape == null
          || shape.nested() != null) {
        fail(e.line(), path + ": " + unsupported(f) + " cannot be set from expressions");
        return;
      }
      if (!(e.value() instanceof MappingNode items)) {
        fail(e.line(), path + ": expected a map of expressions");
        return;
      }
      DuplicateKeys dups = c.duplicates(object.source().file(), Category.INSTANCE, what);
      for (Entry item : entries(items, dups).values()) {
        expression(path + "." + item.key(), item, shape);
      }
      return;
    }
    Shape shape = f.isRepeated() ? null : shape(f);
    if (shape == null) {
      fail(e.line(), path + ": " + unsupported(f) + " cannot be set from an expression");
    } else if (shape.nested() != null) {
      message(shape.nested(), e.value(), path, e.line());
    } else {
      expression(path, e, shape);
    }
  }

  /**
   * What an expression feeding a field of this type must be: a type (null = any), whether a
   * STRING_MAP is allowed (a {@code Value} with {@code string_map_value}), or a nested message to
   * recurse into. Null when no expression can feed the field.
   */
  private record Shape(
      @Nullable ValueType type, boolean anyType, boolean stringMap, @Nullable Descriptor nested) {}

  private static @Nullable Shape shape(FieldDescriptor f) {
    return switch (f.getJavaType()) {
      case STRING -> exact(ValueType.STRING);
      case INT, LONG -> exact(ValueType.INT64);
      case FLOAT, DOUBLE -> exact(ValueType.DOUBLE);
      case BOOLEAN -> exact(ValueType.BOOL);
      case ENUM, BYTE_STRING -> null;
      case MESSAGE -> message(f.getMessageType());
    };
  }

  private static Shape exact(ValueType type) {
    return new Shape(type, false, false, null);
  }

  private static Shape message(Descriptor m) {
    return switch (m.getFullName()) {
      case POLICY + "Value" ->
          new Shape(null, true, m.findFieldByName("string_map_value") != null, null);
      case POLICY + "IPAddress" -> exact(ValueType.IP_ADDRESS);
      case POLICY + "TimeStamp", "google.protobuf.Timestamp" -> exact(ValueType.TIMESTAMP);
      case POLICY + "Duration", "google.protobuf.Duration" -> exact(ValueType.DURATION);
      case POLICY + "EmailAddress" -> exact(ValueType.EMAIL_ADDRESS);
      case POLICY + "DNSName" -> exact(ValueType.DNS_NAME);
      case POLICY + "Uri" -> exact(ValueType.URI);
      default -> new Shape(null, false, false, m);
    };
  }

  private void expression(String path, Entry e, Shape shape) {
    if (isNull(e.value())) {
      return;
    }
    String text = text(e.value());
    if (text == null) {
      fail(e.line(), path + ": expected an expression");
      return;
    }
    if (text.isBlank()) {
      return; // an empty expression leaves the field unset, as in Mixer
    }
    Expression x = c.compile(text, object.at(e.line()), Category.INSTANCE, what, path);
    if (x == null) {
      failed = true;
      return;
    }
    if (shape.anyType()) {
      if (x.type() == ValueType.STRING_MAP && !shape.stringMap()) {
        fail(
            e.line(),
            path
                + ": '"
                + text
                + "' is STRING_MAP, but the template's istio.policy.v1beta1.Value has no"
                + " string_map_value field to carry it");
        return;
      }
    } else if (x.type() != shape.type()) {
      fail(
          e.line(),
          path + ": '" + text + "' is " + x.type() + " (expected: " + shape.type() + ")");
      return;
    }
    out.put(path, x);
  }

  /** The field a config key names: the proto name, the JSON name, or its snake_case form. */
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
    return type.findFieldByName(YamlNodes.snake(key));
  }

  /** The fields config may set, for "expected:" lists. */
  private static List<String> settable(Descriptor type) {
    return type.getFields().stream()
        .filter(f -> f.getNumber() != NAME_FIELD)
        .map(FieldDescriptor::getName)
        .toList();
  }

  private static String unsupported(FieldDescriptor f) {
    String kind =
        f.isMapField()
            ? "a map of " + f.getMessageType().findFieldByNumber(2).getType()
            : (f.isRepeated() ? "a repeated " : "a ")
                + (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
                    ? f.getMessageType().getFullName()
                    : f.getType().name().toLowerCase(java.util.Locale.ROOT))
                + " field";
    return kind.replace("TYPE_", "");
  }

  private void fail(int line, String message) {
    failed = true;
    c.error(object.at(line), Category.INSTANCE, what + ": " + message);
  }
}
