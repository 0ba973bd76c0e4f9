package dev.offpath.core.config;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.Node;

/**
 * One config object read from a YAML document, before validation: its apiVersion and kind as
 * written, name, namespace (defaulted), whether it is one of Istio 1.1's generic kinds ({@code
 * handler}, {@code instance}), its {@code metadata.annotations} and its {@code spec} node.
 *
 * @param specLine the line of {@code spec:}, or of the object when there is none
 */
record ConfigObject(
    String apiVersion,
    String kind,
    String name,
    String namespace,
    boolean generic,
    Map<String, String> annotations,
    @Nullable Node spec,
    Source source,
    int specLine) {

  ConfigObject {
    annotations = Map.copyOf(annotations);
  }

  Source at(int line) {
    return new Source(source.file(), line);
  }

  /** Mixer's fully qualified form for messages: {@code name.namespace}. */
  String qualifiedName() {
    return name + "." + namespace;
  }
}
