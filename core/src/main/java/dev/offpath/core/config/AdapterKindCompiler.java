package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.isNull;
import static dev.offpath.core.config.YamlNodes.line;
import static dev.offpath.core.config.YamlNodes.text;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.References.Active;
import dev.offpath.core.config.References.Ambiguous;
import dev.offpath.core.config.References.Failed;
import dev.offpath.core.config.References.Found;
import dev.offpath.core.config.References.Key;
import dev.offpath.core.config.References.NotFound;
import dev.offpath.core.config.References.Resolution;
import dev.offpath.core.config.References.Skipped;
import dev.offpath.core.config.YamlNodes.Entry;
import dev.offpath.core.remote.RemoteAdapters;
import dev.offpath.core.remote.RemoteTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Istio 1.1's {@code kind: adapter} (README "Out-of-process adapters"): {@code templates} (each a
 * loaded {@code kind: template}, resolved like an instance's {@code template}), {@code
 * session_based} (a bool; a session-based adapter's handlers send no params), {@code config} (a
 * base64 {@code FileDescriptorSet} whose {@code Params} message types the handlers' params, {@link
 * RemoteAdapters#paramsType}; empty or absent: the adapter takes no params); {@code description} is
 * accepted and unused.
 *
 * <p>A template skipped for its variety is left out of the adapter's list with a warning; an
 * adapter whose every template was skipped is skipped, and so are its handlers. Errors are in
 * category HANDLER (Mixer counted adapter info with handler validation).
 */
final class AdapterKindCompiler implements KindCompiler {

  static final String KIND = "adapter";

  @Override
  public boolean accepts(String apiVersion, String kind, Compilation c) {
    return kind.equals(KIND) && PolicyCompiler.isMixer(apiVersion);
  }

  @Override
  public void compile(List<ConfigObject> objects, Compilation c) {
    for (ConfigObject o : objects) {
      adapter(o, c);
    }
  }

  private static void adapter(ConfigObject o, Compilation c) {
    References<RemoteAdapter> adapters = c.remoteAdapters;
    Key key = adapters.key(o.name(), KIND, o.namespace());
    String what = "adapter '" + o.qualifiedName() + "'";
    MappingNode spec = c.namedSpec(adapters, key, o, Category.HANDLER, what);
    if (spec == null) {
      return;
    }
    int errorsBefore = c.errorCount();
    Map<String, Entry> fields =
        c.known(
            o, spec, Category.HANDLER, what, "description", "sessionBased", "templates", "config");

    boolean sessionBased = false;
    Entry session = fields.get("sessionBased");
    if (session != null && !isNull(session.value())) {
      String text = text(session.value());
      String lower = text == null ? "" : text.toLowerCase(Locale.ROOT);
      if (lower.equals("true") || lower.equals("false")) {
        sessionBased = lower.equals("true");
      } else {
        c.error(
            o.at(session.line()),
            Category.HANDLER,
            what + ": " + session.key() + ": expected true or false");
      }
    }

    List<RemoteTemplate> templates = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    boolean templateFailed = false;
    Entry t = fields.get("templates");
    if (t == null || isNull(t.value())) {
      c.error(
          o.at(t == null ? o.specLine() : t.line()),
          Category.HANDLER,
          what + ": missing templates (expected: the kind: template objects it serves)");
    } else if (!(t.value() instanceof SequenceNode list) || list.getValue().isEmpty()) {
      c.error(
          o.at(t.line()),
          Category.HANDLER,
          what + ": templates: expected a non-empty list of template names");
    } else {
      for (Node item : list.getValue()) {
        String ref = text(item);
        if (ref == null || ref.isBlank()) {
          c.error(o.at(line(item)), Category.HANDLER, what + ": templates: expected template names");
          continue;
        }
        switch (resolveTemplate(ref, o, line(item), what, Category.HANDLER, c)) {
          case null -> templateFailed = true;
          case Active<RemoteTemplate> a -> templates.add(a.value());
          case Skipped<RemoteTemplate> s -> skipped.add("'" + ref + "' (" + s.reason() + ")");
          case Failed<RemoteTemplate> f -> templateFailed = true;
        }
      }
    }

    Descriptor params = null;
    Entry config = fields.get("config");
    ByteString bytes =
        TemplateKindCompiler.base64(
            o, config, what + ": config", o.specLine(), Category.HANDLER, c, false);
    if (bytes != null && !bytes.isEmpty()) {
      try {
        params = RemoteAdapters.paramsType(bytes);
      } catch (IllegalArgumentException e) {
        int line = config == null ? o.specLine() : config.line();
        c.error(o.at(line), Category.HANDLER, what + ": config: " + e.getMessage());
      } catch (RuntimeException e) {
        // protobuf's descriptor builder on hostile input: an invalid config, never a crash
        int line = config == null ? o.specLine() : config.line();
        c.error(o.at(line), Category.HANDLER, what + ": config: invalid (" + e + ")");
      }
    }

    if (c.errorCount() != errorsBefore || templateFailed) {
      adapters.put(key, new Failed<>(o.source()));
      return;
    }
    if (!skipped.isEmpty()) {
      c.warning(
          o.at(t == null ? o.specLine() : t.line()),
          what
              + ": templates "
              + String.join(", ", skipped)
              + " left out"
              + (templates.isEmpty() ? "; adapter skipped" : ""));
    }
    if (templates.isEmpty()) {
      adapters.put(
          key, new Skipped<>("adapter '" + o.name() + "' serves no supported template", o.source()));
      return;
    }
    adapters.put(
        key, new Active<>(new RemoteAdapter(o.name(), sessionBased, templates, params), o.source()));
  }

  /**
   * Resolves a template reference ({@code name}, {@code name.namespace}, {@code
   * name.template.namespace}) from object {@code o}; reports and returns null when there is no
   * such template.
   */
  static References.@Nullable Slot<RemoteTemplate> resolveTemplate(
      String ref, ConfigObject o, int line, String what, Category category, Compilation c) {
    Resolution<RemoteTemplate> r = c.remoteTemplates.resolve(ref.trim(), o.namespace());
    return switch (r) {
      case Found<RemoteTemplate> found -> found.slot();
      case NotFound<RemoteTemplate> notFound -> {
        c.error(
            o.at(line),
            category,
            what
                + ": template '"
                + ref
                + "' not found (expected: a kind: template object "
                + notFound.expected()
                + ")");
        yield null;
      }
      case Ambiguous<RemoteTemplate> ambiguous -> {
        c.error(
            o.at(line),
            category,
            what + ": template '" + ref + "' is ambiguous (matches " + ambiguous.candidates() + ")");
        yield null;
      }
    };
  }
}
