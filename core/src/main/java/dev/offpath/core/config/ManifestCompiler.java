package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.entries;
import static dev.offpath.core.config.YamlNodes.isNull;
import static dev.offpath.core.config.YamlNodes.text;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.YamlNodes.DuplicateKeys;
import dev.offpath.core.config.YamlNodes.Entry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;

/**
 * {@code attributemanifest}: attribute types, merged over the built-in vocabulary into the
 * effective manifest every expression is checked against. Declaring an attribute with another type
 * than it already has is an error.
 */
final class ManifestCompiler implements KindCompiler {

  static final String KIND = "attributemanifest";

  @Override
  public boolean accepts(String apiVersion, String kind, Compilation c) {
    return kind.equals(KIND) && PolicyCompiler.isMixer(apiVersion);
  }

  @Override
  public void compile(List<ConfigObject> objects, Compilation c) {
    Map<String, ValueType> types = new HashMap<>(Vocabulary.builtin().all());
    Map<String, Source> declaredAt = new HashMap<>();
    Map<String, Source> seen = new HashMap<>();
    for (ConfigObject o : objects) {
      String what = "attributemanifest '" + o.qualifiedName() + "'";
      if (c.duplicate(seen, o.qualifiedName(), o, Category.MANIFEST, what)) {
        continue;
      }
      MappingNode spec = c.specMapping(o, Category.MANIFEST, what);
      if (spec == null) {
        continue;
      }
      DuplicateKeys dups = c.duplicates(o.source().file(), Category.MANIFEST, what);
      for (Entry field : entries(spec, dups).values()) {
        if (!field.key().equals("attributes")) {
          if (!field.key().equals("revision") && !field.key().equals("name")) {
            c.error(
                o.at(field.line()),
                Category.MANIFEST,
                what + ": unknown field '" + field.key() + "' (expected: attributes, name, revision)");
          }
          continue;
        }
        if (isNull(field.value())) {
          continue;
        }
        if (!(field.value() instanceof MappingNode attributes)) {
          c.error(o.at(field.line()), Category.MANIFEST, what + ": attributes: expected a map");
          continue;
        }
        for (Entry attr : entries(attributes, dups).values()) {
          ValueType type = attributeType(o, what, attr, c);
          if (type == null) {
            continue;
          }
          Source at = o.at(attr.line());
          ValueType prior = types.get(attr.key());
          if (prior != null && prior != type) {
            Source priorAt = declaredAt.get(attr.key());
            c.error(
                at,
                Category.MANIFEST,
                what
                    + ": attribute '"
                    + attr.key()
                    + "' declared as "
                    + type
                    + " conflicts with "
                    + prior
                    + (priorAt == null ? " (built-in vocabulary)" : " declared at " + priorAt));
            continue;
          }
          types.put(attr.key(), type);
          declaredAt.putIfAbsent(attr.key(), at);
        }
      }
    }
    c.manifest(AttributeManifest.of(types));
  }

  private static @Nullable ValueType attributeType(
      ConfigObject o, String what, Entry attr, Compilation c) {
    String prefix = what + ": attribute '" + attr.key() + "': ";
    if (!(attr.value() instanceof MappingNode info)) {
      c.error(o.at(attr.line()), Category.MANIFEST, prefix + "expected a map with valueType");
      return null;
    }
    Entry valueType = null;
    for (Entry e : entries(info, c.duplicates(o.source().file(), Category.MANIFEST, what)).values()) {
      if (e.key().equals("valueType") || e.key().equals("value_type")) {
        valueType = e;
      }
    }
    String text = valueType == null ? null : text(valueType.value());
    if (valueType == null || text == null) {
      c.error(o.at(attr.line()), Category.MANIFEST, prefix + "missing valueType");
      return null;
    }
    try {
      return ValueType.valueOf(text.trim());
    } catch (IllegalArgumentException e) {
      c.error(
          o.at(valueType.line()),
          Category.MANIFEST,
          prefix + "valueType " + text + " (expected: one of " + enumNames() + ")");
      return null;
    }
  }

  private static String enumNames() {
    List<String> names = new ArrayList<>();
    for (ValueType t : ValueType.values()) {
      names.add(t.name());
    }
    return String.join(", ", names);
  }
}
