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
    Node root;
    try {
      root = new Checker(manifest).check(ast);
    } catch (StackOverflowError e) {
      root = checkOnLargeStack(manifest, ast);
    }
    return new CompiledExpression(text, root);
  }

  /** Stack for checking the deepest expressions the parser admits (1,000 chained operators). */
  private static final long LARGE_STACK_BYTES = 64L << 20;

  /**
   * The checker recurses once per operator, and a chain of 1,000 operators can overflow a thread's
   * default stack while the checker still runs interpreted; such an expression is checked again on
   * a thread of its own with a large stack. Config loads are rare, so the thread is not pooled.
   */
  private static Node checkOnLargeStack(AttributeManifest manifest, Ast ast)
      throws ExpressionException {
    Node[] root = new Node[1];
    Throwable[] failure = new Throwable[1];
    Thread t =
        new Thread(
            null,
            () -> {
              try {
                root[0] = new Checker(manifest).check(ast);
              } catch (ExpressionException | RuntimeException | StackOverflowError e) {
                failure[0] = e;
              }
            },
            "offpath-expression-check",
            LARGE_STACK_BYTES);
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ExpressionException("interrupted while checking the expression");
    }
    Throwable f = failure[0];
    if (f instanceof ExpressionException ee) {
      throw ee;
    }
    if (f instanceof RuntimeException re) {
      throw re;
    }
    if (f != null || root[0] == null) {
      throw new ExpressionException("expression too deeply nested to check");
    }
    return root[0];
  }
}
