package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.entries;
import static dev.offpath.core.config.YamlNodes.isNull;
import static dev.offpath.core.config.YamlNodes.line;
import static dev.offpath.core.config.YamlNodes.text;

import dev.offpath.core.config.ConfigDocuments.Document;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.YamlNodes.Entry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;

/**
 * Reads the envelope of a config document — {@code apiVersion}, {@code kind}, {@code metadata}
 * (name, namespace, annotations) and {@code spec} — into a {@link ConfigObject}, reporting what is
 * missing. What the spec means is each {@link KindCompiler}'s business.
 */
final class ObjectReader {

  /**
   * The namespace of an object whose metadata names none: Mixer's default config namespace ({@code
   * --configDefaultNamespace}, {@code istio-system}). Istio's bookinfo policy samples rely on it:
   * their rules without a namespace reference handlers in {@code istio-system}.
   */
  static final String DEFAULT_NAMESPACE = "istio-system";

  private ObjectReader() {}

  /** The object in {@code document}, or null when it is not one (reported). */
  static @Nullable ConfigObject read(Document document, Compilation c) {
    String file = document.file();
    Source source = new Source(file, line(document.root()));
    if (isNull(document.root())) {
      return null;
    }
    if (!(document.root() instanceof MappingNode mapping)) {
      c.error(
          source,
          Category.SYNTAX,
          "expected a config object (a mapping with apiVersion, kind, metadata and spec)");
      return null;
    }
    Map<String, Entry> fields = entries(mapping, c.duplicates(file, Category.SYNTAX, ""));
    String kind = scalar(fields, "kind");
    if (kind == null || kind.isBlank()) {
      c.error(source, Category.SYNTAX, "missing kind");
      return null;
    }
    String apiVersion = scalar(fields, "apiVersion");
    if (apiVersion == null || apiVersion.isBlank()) {
      c.error(source, Category.SYNTAX, kind + ": missing apiVersion");
      return null;
    }
    Entry metadata = fields.get("metadata");
    Map<String, Entry> meta =
        metadata != null && metadata.value() instanceof MappingNode m
            ? entries(m, c.duplicates(file, Category.SYNTAX, kind + ": metadata"))
            : Map.of();
    String name = scalar(meta, "name");
    if (name == null || name.isBlank()) {
      Source at = metadata == null ? source : new Source(file, metadata.line());
      c.error(at, Category.SYNTAX, kind + ": missing metadata.name");
      return null;
    }
    String namespace = scalar(meta, "namespace");
    if (namespace == null || namespace.isBlank()) {
      namespace = DEFAULT_NAMESPACE;
    }
    Entry spec = fields.get("spec");
    return new ConfigObject(
        apiVersion,
        kind,
        name,
        namespace,
        kind.equals(Compilation.HANDLER) || kind.equals(Compilation.INSTANCE),
        annotations(meta.get("annotations"), file, kind, c),
        spec == null ? null : spec.value(),
        source,
        spec == null ? source.line() : spec.line());
  }

  /** {@code metadata.annotations} as strings; Kubernetes allows nothing else there. */
  private static Map<String, String> annotations(
      @Nullable Entry annotations, String file, String kind, Compilation c) {
    if (annotations == null || isNull(annotations.value())) {
      return Map.of();
    }
    if (!(annotations.value() instanceof MappingNode m)) {
      c.error(
          new Source(file, annotations.line()),
          Category.SYNTAX,
          kind + ": metadata.annotations: expected a map of strings");
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Entry e : entries(m, c.duplicates(file, Category.SYNTAX, kind + ": metadata")).values()) {
      String value = text(e.value());
      if (value == null) {
        c.error(
            new Source(file, e.line()),
            Category.SYNTAX,
            kind + ": metadata.annotations." + e.key() + ": expected a string");
        continue;
      }
      out.put(e.key(), value);
    }
    return out;
  }

  private static @Nullable String scalar(Map<String, Entry> fields, String key) {
    Entry e = fields.get(key);
    return e == null ? null : text(e.value());
  }
}
