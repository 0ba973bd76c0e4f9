package dev.offpath.core.expr;

import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.ValueType;
import org.jspecify.annotations.Nullable;

/**
 * A type-checked expression node, evaluated directly (no re-parsing, no interpretation of a program).
 * Nodes are immutable and thread-safe. {@link #eval} yields a value or fails; {@link #tryEval} is the
 * evaluation on the left of Mixer's {@code |}, where a missing attribute or map key makes the operand
 * absent (null) instead of failing — only attribute reads, map indexing and {@code |} itself differ.
 */
abstract class Node {

  final ValueType type;

  Node(ValueType type) {
    this.type = type;
  }

  abstract Object eval(Attributes attributes) throws EvaluationException;

  @Nullable Object tryEval(Attributes attributes) throws EvaluationException {
    return eval(attributes);
  }

  boolean evalBoolean(Attributes attributes) throws EvaluationException {
    return (Boolean) eval(attributes);
  }

  /** The equality test this boolean node evaluates first and needs to be true, or null. */
  @Nullable LeadingEquality leadingEquality() {
    return null;
  }

  /** The value of a constant node, or null for a node that must be evaluated. */
  @Nullable Object constantValue() {
    return null;
  }
}
