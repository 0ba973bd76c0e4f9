package dev.offpath.core.rbac;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A {@code ServiceRole} with the bindings that refer to it, in the namespace that scopes both (a
 * role applies to requests whose {@code action.namespace} is its namespace, as in Istio).
 */
public record ServiceRole(
    String name,
    String namespace,
    Spelling spelling,
    List<AccessRule> rules,
    List<ServiceRoleBinding> bindings) {

  public ServiceRole {
    requireNonNull(name, "name");
    requireNonNull(namespace, "namespace");
    requireNonNull(spelling, "spelling");
    rules = List.copyOf(rules);
    bindings = List.copyOf(bindings);
  }
}
