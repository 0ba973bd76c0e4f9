package dev.offpath.core.config;

import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.Node;

/**
 * One Mixer config object read from a YAML document, before validation: its kind as written, name,
 * namespace (defaulted), whether it is one of Istio 1.1's generic kinds, and its {@code spec} node.
 *
 * @param specLine the line of {@code spec:}, or of the object when there is none
 * @param annotations the {@code metadata.annotations} node, or null
 */
record ConfigObject(
    String kind,
    String name,
    String namespace,
    boolean generic,
    @Nullable Node spec,
    Source source,
    int specLine,
    @Nullable Node annotations) {

  Source at(int line) {
    return new Source(source.file(), line);
  }
}
