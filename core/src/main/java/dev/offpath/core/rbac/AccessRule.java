package dev.offpath.core.rbac;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One rule of a {@code ServiceRole}. Empty lists mean what they meant to Mixer's adapter: no {@code
 * services} or no {@code methods} never match; no {@code paths} match every path; no constraints
 * always hold.
 */
public record AccessRule(
    List<String> services, List<String> paths, List<String> methods, List<Constraint> constraints) {

  public AccessRule {
    services = List.copyOf(services);
    paths = List.copyOf(paths);
    methods = List.copyOf(methods);
    constraints = List.copyOf(constraints);
  }

  /** {@code key} must have one of {@code values} (matched like services: exact, *, prefix*, *suffix). */
  public record Constraint(RbacKey key, List<String> values) {
    public Constraint {
      requireNonNull(key, "key");
      values = List.copyOf(values);
    }
  }
}
