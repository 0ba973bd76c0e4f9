package dev.offpath.core.expr;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.AttributeManifest;

/**
 * Parses and type-checks Mixer expressions (Go expression syntax, Istio 1.1 Mixer semantics) into a
 * tree of nodes evaluated without re-parsing. Error texts are Mixer's: {@code unknown attribute a.b},
 * {@code EQ($ai, true) arg 2 (true) typeError got BOOL, expected INT64}, {@code unable to parse
 * expression 'a = 2': 1:3: expected '==', found '='}. Nesting deeper than 100 levels is refused.
 */
public final class ExpressionCompiler {

  private ExpressionCompiler() {}

  /**
   * Compiles {@code text} against {@code manifest}.
   *
   * @throws ExpressionException when the text does not parse or does not type-check
   */
  public static Expression compile(String text, AttributeManifest manifest) throws ExpressionException {
    requireNonNull(text, "text");
    requireNonNull(manifest, "manifest");
    Ast ast = Parser.parse(text);
    Node root = new Checker(manifest).check(ast);
    return new CompiledExpression(text, root);
  }
}
