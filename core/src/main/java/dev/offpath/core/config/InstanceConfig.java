package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.expr.Expression;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A validated template instance: its template and {@link Variety}, and its fields as compiled
 * expressions keyed by dotted path ({@code value}, {@code dimensions.source}; see {@link
 * dev.offpath.core.adapter.Instance}), in config order.
 */
public record InstanceConfig(
    String name, String template, Variety variety, Map<String, Expression> fields, Source source) {

  public InstanceConfig {
    requireNonNull(name, "name");
    requireNonNull(template, "template");
    requireNonNull(variety, "variety");
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    requireNonNull(source, "source");
  }

  /** An instance of one of the compiled-in templates, whose variety is known. */
  public InstanceConfig(String name, String template, Map<String, Expression> fields, Source source) {
    this(name, template, compiledVariety(template), fields, source);
  }

  private static Variety compiledVariety(String template) {
    Variety v = Templates.variety(requireNonNull(template, "template"));
    if (v == null) {
      throw new IllegalArgumentException(
          "template: " + template + " (expected: one of " + Templates.names() + ")");
    }
    return v;
  }
}
