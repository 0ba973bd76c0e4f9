package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.entries;
import static dev.offpath.core.config.YamlNodes.isNull;

import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.References.Key;
import dev.offpath.core.config.References.Slot;
import dev.offpath.core.config.YamlNodes.DuplicateKeys;
import dev.offpath.core.config.YamlNodes.Entry;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.expr.ExpressionCompiler;
import dev.offpath.core.expr.ExpressionException;
import dev.offpath.core.remote.RemoteTemplate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;

/**
 * The state one load shares between its {@link KindCompiler}s: diagnostics, the named handlers and
 * instances rules refer to, the out-of-process templates and adapters those refer to, the
 * effective attribute manifest, the rules compiled so far; and the checks every kind makes the
 * same way (spec shape, known fields, duplicates, expressions), so their messages read alike.
 *
 * <p>Not thread-safe; one per load.
 */
final class Compilation {

  static final String HANDLER = "handler";
  static final String INSTANCE = "instance";

  final AdapterRegistry adapters;
  final Diagnostics diagnostics = new Diagnostics();
  final References<HandlerConfig> handlers = new References<>(HANDLER);
  final References<InstanceConfig> instances = new References<>(INSTANCE);
  /** {@code kind: template} objects (out-of-process templates), by name and namespace. */
  final References<RemoteTemplate> remoteTemplates = new References<>(TemplateKindCompiler.KIND);
  /** {@code kind: adapter} objects (out-of-process adapters), by name and namespace. */
  final References<RemoteAdapter> remoteAdapters = new References<>(AdapterKindCompiler.KIND);
  final List<RuleConfig> rules = new ArrayList<>();

  /** Built-in vocabulary until the manifest phase has run. */
  private AttributeManifest manifest = AttributeManifest.of(Vocabulary.builtin().all());

  /** Errors reported so far; lets a compiler tell whether one object's validation found any. */
  private int errorCount;

  Compilation(AdapterRegistry adapters) {
    this.adapters = adapters;
  }

  AttributeManifest manifest() {
    return manifest;
  }

  void manifest(AttributeManifest manifest) {
    this.manifest = manifest;
  }

  int errorCount() {
    return errorCount;
  }

  void error(Source source, Category category, String message) {
    errorCount++;
    diagnostics.error(source, category, message);
  }

  void warning(Source source, String message) {
    diagnostics.warning(source, message);
  }

  /** The result, or every error found. */
  PolicyConfig result() throws ConfigException {
    if (diagnostics.hasErrors()) {
      throw new ConfigException(diagnostics.errors());
    }
    return new PolicyConfig(
        manifest, active(handlers), active(instances), rules, diagnostics.warnings());
  }

  private static <T> Map<String, T> active(References<T> refs) {
    Map<String, T> out = new LinkedHashMap<>();
    refs.forEachActive((key, value) -> out.put(key.fqn(), value));
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Checks shared by every kind

  /** Compiles an expression against the effective manifest; reports and returns null on error. */
  @Nullable Expression compile(String text, Source at, Category category, String what, String field) {
    try {
      return ExpressionCompiler.compile(text, manifest);
    } catch (ExpressionException e) {
      error(at, category, what + ": " + field + ": " + e.getMessage());
      return null;
    }
  }

  /** The object's spec as a mapping; reports and returns null when it is missing or not a map. */
  @Nullable MappingNode specMapping(ConfigObject o, Category category, String what) {
    if (o.spec() instanceof MappingNode m) {
      return m;
    }
    error(
        o.at(o.specLine()),
        category,
        what + (isNull(o.spec()) ? ": missing spec" : ": spec: expected a map"));
    return null;
  }

  /**
   * The entries of {@code mapping}, reporting keys not among {@code names}. Keys are also accepted
   * in snake_case ({@code compiled_adapter}) and returned under the camelCase name.
   */
  Map<String, Entry> known(
      ConfigObject o, MappingNode mapping, Category category, String what, String... names) {
    Map<String, Entry> out = new LinkedHashMap<>();
    Map<String, String> bySnake = new HashMap<>();
    for (String n : names) {
      bySnake.put(YamlNodes.snake(n), n);
    }
    for (Entry e : entries(mapping, duplicates(o.source().file(), category, what)).values()) {
      String name = bySnake.get(YamlNodes.snake(e.key()));
      if (name == null) {
        error(
            o.at(e.line()),
            category,
            what
                + ": unknown field '"
                + e.key()
                + "' (expected: "
                + String.join(", ", names)
                + ")");
      } else if (out.putIfAbsent(name, e) != null) {
        error(o.at(e.line()), category, what + ": duplicate key '" + e.key() + "'");
      }
    }
    return out;
  }

  /**
   * Warns that a field Offpath accepts for compatibility has no effect, naming it: a config that
   * relies on it must not be served as if it did.
   */
  void unsupportedField(ConfigObject o, @Nullable Entry field, String what, String consequence) {
    if (field != null && !isNull(field.value())) {
      warning(
          o.at(field.line()),
          what + ": field '" + field.key() + "' is not supported; " + consequence);
    }
  }

  DuplicateKeys duplicates(String file, Category category, String what) {
    return (key, line, firstLine) ->
        error(
            new Source(file, line),
            category,
            (what.isEmpty() ? "" : what + ": ")
                + "duplicate key '"
                + key
                + "' (first at line "
                + firstLine
                + ")");
  }

  /**
   * The opening every named object's compilation shares: a duplicate of {@code key} is reported
   * and left out; otherwise its spec as a mapping, or null when it is missing or not a map
   * (reported, and the name recorded as failed so that references to it do not report again).
   */
  <T> @Nullable MappingNode namedSpec(
      References<T> refs, Key key, ConfigObject o, Category category, String what) {
    if (duplicate(refs, key, o, category, what)) {
      return null;
    }
    return specOrFailed(refs, key, o, category, what);
  }

  /** {@link #specMapping}, recording the name as failed when there is no spec to read. */
  <T> @Nullable MappingNode specOrFailed(
      References<T> refs, Key key, ConfigObject o, Category category, String what) {
    MappingNode spec = specMapping(o, category, what);
    if (spec == null) {
      refs.put(key, new References.Failed<>(o.source()));
    }
    return spec;
  }

  /** Reports a second object under a key already taken; returns whether it was one. */
  <T> boolean duplicate(
      References<T> refs, Key key, ConfigObject o, Category category, String what) {
    Slot<T> prior = refs.get(key);
    if (prior == null) {
      return false;
    }
    error(o.source(), category, "duplicate " + what + " (first defined at " + prior.source() + ")");
    return true;
  }

  /** Reports a second object under a key already seen; returns whether it was one. */
  boolean duplicate(
      Map<String, Source> seen, String key, ConfigObject o, Category category, String what) {
    Source prior = seen.putIfAbsent(key, o.source());
    if (prior == null) {
      return false;
    }
    error(o.source(), category, "duplicate " + what + " (first defined at " + prior + ")");
    return true;
  }
}
