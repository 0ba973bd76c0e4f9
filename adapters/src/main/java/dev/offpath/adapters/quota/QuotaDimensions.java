package dev.offpath.adapters.quota;

import dev.offpath.core.adapter.Instance;
import dev.offpath.core.attribute.StringMap;
import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;

/**
 * A quota instance's {@code dimensions} as the strings quota adapters key and match overrides by,
 * printed as Mixer printed them (so an override written {@code 10} matches the integer 10 and the
 * double 10.0).
 */
public final class QuotaDimensions {

  private QuotaDimensions() {}

  /** The instance's dimensions, by name in sorted order, values as strings. */
  public static TreeMap<String, String> of(Instance instance) {
    TreeMap<String, String> dimensions = new TreeMap<>();
    instance.mapField("dimensions").forEach((k, v) -> dimensions.put(k, asString(v)));
    return dimensions;
  }

  /** Whether every entry of {@code override} is in {@code dimensions} with the same value. */
  public static boolean matches(Map<String, String> override, Map<String, String> dimensions) {
    for (Map.Entry<String, String> e : override.entrySet()) {
      if (!e.getValue().equals(dimensions.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** The string form a dimension value is compared and keyed by. */
  public static String asString(Object value) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof Double d) {
      return d.isInfinite() || d.isNaN()
          ? d.toString()
          : new BigDecimal(d).stripTrailingZeros().toPlainString();
    }
    if (value instanceof StringMap m) {
      return new TreeMap<>(m.asMap()).toString();
    }
    return String.valueOf(value);
  }
}
