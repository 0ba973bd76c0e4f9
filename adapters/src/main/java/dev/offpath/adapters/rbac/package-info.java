/**
 * Mixer's {@code rbac} adapter: decides {@code authorization} instances against Istio's {@code
 * ServiceRole} / {@code ServiceRoleBinding} objects with the semantics of Mixer's adapter (README
 * "RBAC").
 */
@NullMarked
package dev.offpath.adapters.rbac;

import org.jspecify.annotations.NullMarked;
