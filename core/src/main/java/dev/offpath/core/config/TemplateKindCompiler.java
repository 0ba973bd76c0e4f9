package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.text;

import com.google.protobuf.ByteString;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.References.Active;
import dev.offpath.core.config.References.Failed;
import dev.offpath.core.config.References.Key;
import dev.offpath.core.config.References.Skipped;
import dev.offpath.core.config.YamlNodes.Entry;
import dev.offpath.core.remote.RemoteTemplate;
import dev.offpath.core.remote.RemoteTemplates;
import dev.offpath.core.remote.RemoteTemplates.UnsupportedVarietyException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;

/**
 * Istio 1.1's {@code kind: template} (README "Out-of-process adapters"): {@code spec.descriptor},
 * a base64 {@code FileDescriptorSet}, read by {@link RemoteTemplates#parse}; {@code name} and
 * {@code description} are accepted and unused. A template is known by its {@code metadata.name}
 * in its namespace ({@link References}: {@code name}, {@code name.namespace} or {@code
 * name.template.namespace} from an instance or adapter).
 *
 * <p>A template of a variety Offpath does not dispatch ({@code ATTRIBUTE_GENERATOR}, {@code
 * CHECK_WITH_OUTPUT}) loads with a warning naming the variety and is skipped; instances of it are
 * then skipped with a warning too. Errors (category INSTANCE, as Mixer counted template errors with
 * instance config) sit at the descriptor's line.
 */
final class TemplateKindCompiler implements KindCompiler {

  static final String KIND = "template";

  @Override
  public boolean accepts(String apiVersion, String kind, Compilation c) {
    return kind.equals(KIND) && PolicyCompiler.isMixer(apiVersion);
  }

  @Override
  public void compile(List<ConfigObject> objects, Compilation c) {
    for (ConfigObject o : objects) {
      template(o, c);
    }
  }

  private static void template(ConfigObject o, Compilation c) {
    References<RemoteTemplate> templates = c.remoteTemplates;
    Key key = templates.key(o.name(), KIND, o.namespace());
    String what = "template '" + o.qualifiedName() + "'";
    MappingNode spec = c.namedSpec(templates, key, o, Category.INSTANCE, what);
    if (spec == null) {
      return;
    }
    Map<String, Entry> fields =
        c.known(o, spec, Category.INSTANCE, what, "descriptor", "name", "description");
    Entry d = fields.get("descriptor");
    ByteString bytes =
        base64(o, d, what + ": descriptor", o.specLine(), Category.INSTANCE, c, true);
    if (bytes == null) {
      templates.put(key, new Failed<>(o.source()));
      return;
    }
    int line = d == null ? o.specLine() : d.line();
    try {
      RemoteTemplate t = RemoteTemplates.parse(o.name(), bytes);
      templates.put(key, new Active<>(t, o.source()));
    } catch (UnsupportedVarietyException e) {
      String reason = "template variety " + e.variety() + " is not supported";
      c.warning(
          o.at(line),
          what + ": " + reason + " (Offpath dispatches CHECK, QUOTA and REPORT); template skipped");
      templates.put(key, new Skipped<>(reason, o.source()));
    } catch (IllegalArgumentException e) {
      c.error(o.at(line), Category.INSTANCE, what + ": descriptor: " + e.getMessage());
      templates.put(key, new Failed<>(o.source()));
    } catch (RuntimeException e) {
      // protobuf's descriptor builder on hostile input: an invalid descriptor, never a crash
      c.error(o.at(line), Category.INSTANCE, what + ": descriptor: invalid (" + e + ")");
      templates.put(key, new Failed<>(o.source()));
    }
  }

  /**
   * The bytes of a base64 field ({@code descriptor}, an adapter's {@code config}); null after
   * reporting when it is not base64, or when it is missing or empty and {@code required}. A
   * missing optional field is {@link ByteString#EMPTY}. Whitespace (folded YAML) is ignored.
   */
  static @Nullable ByteString base64(
      ConfigObject o,
      @Nullable Entry field,
      String what,
      int fallbackLine,
      Category category,
      Compilation c,
      boolean required) {
    String text = field == null ? null : text(field.value());
    if (field != null && text == null && !YamlNodes.isNull(field.value())) {
      c.error(o.at(field.line()), category, what + ": expected a base64 string");
      return null;
    }
    String compact = text == null ? "" : text.replaceAll("\\s+", "");
    if (compact.isEmpty()) {
      if (required) {
        c.error(
            o.at(field == null ? fallbackLine : field.line()),
            category,
            what + ": missing (expected: a base64 FileDescriptorSet)");
        return null;
      }
      return ByteString.EMPTY;
    }
    try {
      return ByteString.copyFrom(Base64.getDecoder().decode(compact));
    } catch (IllegalArgumentException e) {
      int line = field == null ? fallbackLine : field.line();
      c.error(o.at(line), category, what + ": not base64 (" + e.getMessage() + ")");
      return null;
    }
  }
}
