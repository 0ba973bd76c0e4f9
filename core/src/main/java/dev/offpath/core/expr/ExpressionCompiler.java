package dev.offpath.core.expr;

import dev.offpath.core.attribute.AttributeManifest;

/** Parses and type-checks Mixer expressions. */
public final class ExpressionCompiler {

  private ExpressionCompiler() {}

  /**
   * Compiles {@code text} against {@code manifest}.
   *
   * @throws ExpressionException when the text does not parse or does not type-check
   */
  public static Expression compile(String text, AttributeManifest manifest) throws ExpressionException {
    throw new UnsupportedOperationException("not yet implemented: " + text + manifest);
  }
}
