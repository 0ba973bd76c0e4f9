/** Mixer's config model (handlers, instances, rules, manifests), loaded from Istio YAML. */
@NullMarked
package dev.offpath.core.config;

import org.jspecify.annotations.NullMarked;
