package dev.offpath.core.attribute;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The declared type of each attribute name (Mixer's attribute manifests). Expressions are type-checked
 * against it at config load; an attribute not in the manifest is a compile error.
 */
public interface AttributeManifest {

  /** The declared type, or {@code null} when {@code name} is not declared. */
  @Nullable ValueType typeOf(String name);

  /** Every declared attribute. */
  Map<String, ValueType> all();

  /** A manifest of exactly these declarations. */
  static AttributeManifest of(Map<String, ValueType> types) {
    Map<String, ValueType> copy = Map.copyOf(types);
    return new AttributeManifest() {
      @Override
      public @Nullable ValueType typeOf(String name) {
        return copy.get(name);
      }

      @Override
      public Map<String, ValueType> all() {
        return copy;
      }
    };
  }
}
