package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.expr.Expression;
import java.util.Map;

/**
 * A validated template instance: its fields as compiled expressions keyed by dotted path ({@code
 * value}, {@code dimensions.source}; see {@link dev.offpath.core.adapter.Instance}).
 */
public record InstanceConfig(
    String name, String template, Map<String, Expression> fields, Source source) {

  public InstanceConfig {
    requireNonNull(name, "name");
    requireNonNull(template, "template");
    fields = Map.copyOf(fields);
    requireNonNull(source, "source");
  }
}
