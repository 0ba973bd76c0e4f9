package dev.offpath.core.expr;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.ValueType;

/** An {@link Expression} backed by a checked {@link Node} tree. */
final class CompiledExpression implements Expression {

  private final String text;
  private final Node root;

  CompiledExpression(String text, Node root) {
    this.text = text;
    this.root = root;
  }

  Node root() {
    return root;
  }

  @Override
  public String text() {
    return text;
  }

  @Override
  public ValueType type() {
    return root.type;
  }

  @Override
  public Object evaluate(Attributes attributes) throws EvaluationException {
    return root.eval(requireNonNull(attributes, "attributes"));
  }

  @Override
  public boolean evaluateBoolean(Attributes attributes) throws EvaluationException {
    if (root.type != ValueType.BOOL) {
      throw new IllegalStateException("expression '" + text + "' is " + root.type + ", not BOOL");
    }
    return root.evalBoolean(requireNonNull(attributes, "attributes"));
  }

  @Override
  public String toString() {
    return text;
  }
}
