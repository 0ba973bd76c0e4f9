package dev.offpath.core.rbac;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** A {@code ServiceRoleBinding}, already resolved to its role (see {@link ServiceRole#bindings}). */
public record ServiceRoleBinding(String name, Spelling spelling, List<Subject> subjects) {

  public ServiceRoleBinding {
    requireNonNull(name, "name");
    requireNonNull(spelling, "spelling");
    subjects = List.copyOf(subjects);
  }
}
