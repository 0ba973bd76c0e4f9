package dev.offpath.core.rbac;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * A constraint or property key as written, and what it names. In the {@code config.istio.io/v1alpha2}
 * spelling a key names an entry of the {@code authorization} instance's {@code action.properties}
 * (constraints) or {@code subject.properties} (properties): {@link #attribute} is null. In the {@code
 * rbac.istio.io/v1alpha1} spelling it names a request attribute, {@code source.namespace}, or one key
 * of a string-map attribute, {@code destination.labels[app]} ({@link #mapKey} {@code app}).
 *
 * @param text the key as written
 * @param attribute the attribute read, or null for an instance property
 * @param mapKey the key read in a STRING_MAP attribute, or null for the whole value
 */
public record RbacKey(String text, @Nullable String attribute, @Nullable String mapKey) {

  public RbacKey {
    requireNonNull(text, "text");
    if (attribute == null && mapKey != null) {
      throw new IllegalArgumentException("mapKey without attribute: " + text);
    }
  }

  /** A key naming an instance property (the 0.8 spelling). */
  public static RbacKey property(String name) {
    return new RbacKey(name, null, null);
  }

  /** A key naming a whole attribute. */
  public static RbacKey attribute(String name) {
    return new RbacKey(name, name, null);
  }

  /** A key naming one key of a string-map attribute, written {@code name[key]}. */
  public static RbacKey mapEntry(String name, String key) {
    return new RbacKey(name + "[" + key + "]", name, key);
  }

  public boolean isAttribute() {
    return attribute != null;
  }
}
