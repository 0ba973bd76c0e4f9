package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.expr.Expression;
import java.util.List;

/**
 * A rule's header operation (Mixer's {@code Rule.HeaderOperationTemplate}): header name, value
 * expressions and what to do. REMOVE ignores values; APPEND adds, REPLACE (the default) overwrites.
 */
public record HeaderOperation(String name, List<Expression> values, Operation operation) {

  public enum Operation {
    REPLACE,
    REMOVE,
    APPEND
  }

  public HeaderOperation {
    requireNonNull(name, "name");
    values = List.copyOf(values);
    requireNonNull(operation, "operation");
  }
}
