package dev.offpath.core.rbac;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Every {@code ServiceRole} of a config (in file order, bindings attached) and the enforcement scope.
 * Immutable; equality is by value, so a reload that leaves the RBAC objects as they were keeps the
 * running {@code rbac} handlers.
 */
public record RbacPolicy(List<ServiceRole> roles, RbacScope scope) {

  public static final RbacPolicy EMPTY = new RbacPolicy(List.of(), RbacScope.ALWAYS);

  public RbacPolicy {
    roles = List.copyOf(roles);
    requireNonNull(scope, "scope");
  }
}
