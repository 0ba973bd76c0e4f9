/**
 * Istio's RBAC objects as validated config: {@code ServiceRole}, {@code ServiceRoleBinding} and the
 * {@code RbacConfig} / {@code ClusterRbacConfig} scope, in both spellings Istio published. The config
 * loader builds an {@link dev.offpath.core.rbac.RbacPolicy}; the {@code rbac} adapter compiles it into
 * its index and decides {@code authorization} instances against it (README "RBAC").
 */
@NullMarked
package dev.offpath.core.rbac;

import org.jspecify.annotations.NullMarked;
