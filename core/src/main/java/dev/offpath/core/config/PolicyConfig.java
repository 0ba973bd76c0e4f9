package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.AttributeManifest;
import java.util.List;
import java.util.Map;

/**
 * A whole validated config: the effective attribute manifest (built-in vocabulary plus config
 * manifests), handlers and instances by fully qualified name, rules in file order, and warnings about
 * what was skipped. Immutable; a reload builds a new one and swaps it whole.
 *
 * <p>Names: an object {@code name} in namespace {@code ns} of Istio 1.1 kind {@code handler} or {@code
 * instance} is known as {@code name.ns}; one of an Istio 1.0 per-adapter or per-template kind {@code
 * kind} as {@code name.kind.ns}. References resolve as Istio resolved them: a name with no dot is
 * qualified with the referring rule's namespace, and {@code name.kind.ns} and {@code name.ns} find
 * the same object.
 */
public record PolicyConfig(
    AttributeManifest manifest,
    Map<String, HandlerConfig> handlers,
    Map<String, InstanceConfig> instances,
    List<RuleConfig> rules,
    List<ConfigWarning> warnings) {

  public PolicyConfig {
    requireNonNull(manifest, "manifest");
    handlers = Map.copyOf(handlers);
    instances = Map.copyOf(instances);
    rules = List.copyOf(rules);
    warnings = List.copyOf(warnings);
  }
}
