package dev.offpath.core.attribute;

import static java.util.Objects.requireNonNull;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** An immutable {@link Attributes} bag backed by a hash map. Build one with {@link #builder()}. */
public final class MapAttributes implements Attributes {

  static final MapAttributes EMPTY = new MapAttributes(Map.of());

  private final Map<String, Object> values;

  private MapAttributes(Map<String, Object> values) {
    this.values = values;
  }

  /** A bag of exactly these values (copied). Values must use the classes listed on {@link ValueType}. */
  public static MapAttributes of(Map<String, ?> values) {
    return new MapAttributes(Map.copyOf(values));
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public @Nullable Object get(String name) {
    return values.get(name);
  }

  @Override
  public Set<String> names() {
    return values.keySet();
  }

  @Override
  public String toString() {
    return values.toString();
  }

  /** Collects values; a later {@code put} of the same name replaces the earlier one. */
  public static final class Builder {
    private final Map<String, Object> values = new HashMap<>();

    private Builder() {}

    public Builder put(String name, Object value) {
      values.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
      return this;
    }

    /** Puts {@code value} when it is non-null; absent values stay absent. */
    public Builder putIfNotNull(String name, @Nullable Object value) {
      if (value != null) {
        values.put(requireNonNull(name, "name"), value);
      }
      return this;
    }

    public boolean contains(String name) {
      return values.containsKey(name);
    }

    public MapAttributes build() {
      return new MapAttributes(Map.copyOf(values));
    }
  }
}
