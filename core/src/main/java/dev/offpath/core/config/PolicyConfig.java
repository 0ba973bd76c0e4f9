package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.AttributeManifest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole validated config: the effective attribute manifest (built-in vocabulary plus config
 * manifests), handlers and instances by fully qualified name in config order, rules in file order,
 * and warnings about what was skipped. Immutable; a reload builds a new one and swaps it whole.
 *
 * <p>Names: every object is known by Mixer's fully qualified name {@code name.kind.namespace}, where
 * kind is {@code handler} or {@code instance} for Istio 1.1's generic kinds (a memquota quota named
 * {@code requestcountquota.instance.istio-system}, as Istio's docs write it) and the adapter or
 * template kind for Istio 1.0's per-kind objects ({@code denyall.denier.istio-system}). References
 * resolve as Istio resolved them: a name with no dot is qualified with the referring rule's
 * namespace.
 */
public record PolicyConfig(
    AttributeManifest manifest,
    Map<String, HandlerConfig> handlers,
    Map<String, InstanceConfig> instances,
    List<RuleConfig> rules,
    List<ConfigWarning> warnings) {

  public PolicyConfig {
    requireNonNull(manifest, "manifest");
    handlers = ordered(handlers);
    instances = ordered(instances);
    rules = List.copyOf(rules);
    warnings = List.copyOf(warnings);
  }

  /** An immutable copy keeping the iteration order given (config order). */
  private static <V> Map<String, V> ordered(Map<String, V> map) {
    Map<String, V> copy = new LinkedHashMap<>();
    map.forEach(
        (k, v) -> copy.put(requireNonNull(k, "name"), requireNonNull(v, "value of " + k)));
    return Collections.unmodifiableMap(copy);
  }
}
