package dev.offpath.core.expr;

import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.ValueType;

/**
 * A compiled, type-checked Mixer expression. Immutable and thread-safe; evaluation never re-parses.
 * Obtain one from {@link ExpressionCompiler#compile}.
 */
public interface Expression {

  /** The source text as written in config. */
  String text();

  /** The static result type. */
  ValueType type();

  /**
   * Evaluates against {@code attributes}; the result uses the Java class listed on {@link ValueType}
   * for {@link #type()} and is never null.
   *
   * @throws EvaluationException on a missing attribute ({@code lookup failed: 'a'}), a failed
   *     conversion or another runtime error
   */
  Object evaluate(Attributes attributes) throws EvaluationException;

  /** {@link #evaluate} for BOOL expressions. */
  default boolean evaluateBoolean(Attributes attributes) throws EvaluationException {
    return (Boolean) evaluate(attributes);
  }
}
