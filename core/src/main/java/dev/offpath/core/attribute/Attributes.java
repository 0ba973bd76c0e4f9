package dev.offpath.core.attribute;

import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A bag of named attribute values: what one request (or one access-log entry) looks like to policy and
 * telemetry. Values use the Java classes listed on {@link ValueType}. Implementations are immutable or
 * confined to one thread; {@link TrackingAttributes} records every lookup for the check cache.
 */
public interface Attributes {

  /** The value of {@code name}, or {@code null} when the attribute is absent. */
  @Nullable Object get(String name);

  /**
   * The value of attribute {@code name}, whose {@link AttributeIds#of id} is {@code id}; the same
   * answer as {@link #get(String)}. Compiled expressions call this form: bags with a fixed slot
   * table override it to skip hashing the name; wrappers override it to pass the id on.
   */
  default @Nullable Object get(int id, String name) {
    return get(name);
  }

  /** The names of the attributes present. */
  Set<String> names();

  /** An empty bag. */
  static Attributes empty() {
    return MapAttributes.EMPTY;
  }
}
