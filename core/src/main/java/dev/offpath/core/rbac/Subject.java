package dev.offpath.core.rbac;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One subject of a {@code ServiceRoleBinding}: {@code user} and {@code group} (empty = not given,
 * {@code *} = anyone) and properties that must all equal the request's. A subject with none of them
 * matches nobody, as in Mixer.
 */
public record Subject(String user, String group, List<Property> properties) {

  public Subject {
    requireNonNull(user, "user");
    requireNonNull(group, "group");
    properties = List.copyOf(properties);
  }

  /** {@code key} must be exactly {@code value}. */
  public record Property(RbacKey key, String value) {
    public Property {
      requireNonNull(key, "key");
      requireNonNull(value, "value");
    }
  }
}
