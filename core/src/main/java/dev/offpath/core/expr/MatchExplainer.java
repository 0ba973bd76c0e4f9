package dev.offpath.core.expr;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Why a BOOL expression did not hold for some attributes: the smallest sub-expression to blame, for
 * {@code offpath explain}. The expression's text is parsed again and its boolean structure walked:
 * for {@code a && b} the first operand that is false is explained in turn; {@code a || b} with both
 * false, {@code !a}, and any other expression are blamed whole. Each sub-expression is type-checked
 * and evaluated on its own, so an evaluation error (a missing attribute) is blamed on the operand
 * that raised it.
 *
 * <p>Offline tool code: parses and compiles on every call. Stateless and thread-safe.
 */
public final class MatchExplainer {

  /**
   * The blamed sub-expression, printed in Mixer's syntax, and the evaluation error it raised (null
   * when it evaluated to false).
   */
  public record Failure(String expression, @Nullable String error) {}

  private static final Map<String, String> BINARY =
      Map.ofEntries(
          Map.entry("LOR", "||"),
          Map.entry("LAND", "&&"),
          Map.entry("EQ", "=="),
          Map.entry("NEQ", "!="),
          Map.entry("LT", "<"),
          Map.entry("LEQ", "<="),
          Map.entry("GT", ">"),
          Map.entry("GEQ", ">="),
          Map.entry("ADD", "+"),
          Map.entry("SUB", "-"),
          Map.entry("OR", "|"));

  private MatchExplainer() {}

  /**
   * The failure of {@code expression} on {@code attributes}, or null when it holds.
   *
   * @throws IllegalArgumentException when {@code expression} is not BOOL
   */
  public static @Nullable Failure explain(
      Expression expression, AttributeManifest manifest, Attributes attributes) {
    requireNonNull(expression, "expression");
    requireNonNull(manifest, "manifest");
    requireNonNull(attributes, "attributes");
    if (expression.type() != dev.offpath.core.attribute.ValueType.BOOL) {
      throw new IllegalArgumentException(
          "expression '" + expression.text() + "' is " + expression.type() + " (expected: BOOL)");
    }
    Ast root;
    try {
      root = Parser.parse(expression.text());
    } catch (ExpressionException e) {
      throw new IllegalStateException("a compiled expression no longer parses: " + e.getMessage(), e);
    }
    return blame(root, new Checker(manifest), attributes);
  }

  private static @Nullable Failure blame(Ast e, Checker checker, Attributes attributes) {
    if (e instanceof Ast.Call c && c.target() == null && c.name().equals("LAND")) {
      for (Ast operand : c.args()) {
        Failure f = blame(operand, checker, attributes);
        if (f != null) {
          return f;
        }
      }
      return null;
    }
    try {
      Node node = checker.check(e);
      return node.evalBoolean(attributes) ? null : new Failure(print(e), null);
    } catch (EvaluationException ex) {
      return new Failure(print(e), ex.getMessage());
    } catch (ExpressionException ex) {
      throw new IllegalStateException("a sub-expression no longer type-checks: " + ex.getMessage(), ex);
    }
  }

  /** Go's binary precedence, which Mixer's parser uses: higher binds tighter. */
  private static final Map<String, Integer> PRECEDENCE =
      Map.ofEntries(
          Map.entry("LOR", 1),
          Map.entry("LAND", 2),
          Map.entry("EQ", 3),
          Map.entry("NEQ", 3),
          Map.entry("LT", 3),
          Map.entry("LEQ", 3),
          Map.entry("GT", 3),
          Map.entry("GEQ", 3),
          Map.entry("ADD", 4),
          Map.entry("SUB", 4),
          Map.entry("OR", 4));

  /** Binds tighter than any binary operator: operands of unary operators, targets, indexing. */
  private static final int PRIMARY = 10;

  /** {@code e} in Mixer's source syntax, parenthesised only where precedence needs it. */
  static String print(Ast e) {
    StringBuilder sb = new StringBuilder();
    print(e, sb, 0);
    return sb.toString();
  }

  /** Prints {@code e} where an operand must bind at least as tightly as {@code context}. */
  private static void print(Ast e, StringBuilder sb, int context) {
    switch (e) {
      case Ast.Const c -> sb.append(c.source());
      case Ast.Var v -> sb.append(v.name());
      case Ast.Call c -> printCall(c, sb, context);
    }
  }

  private static void printCall(Ast.Call c, StringBuilder sb, int context) {
    List<Ast> args = c.args();
    String op = BINARY.get(c.name());
    if (c.target() == null && op != null && args.size() == 2) {
      int own = PRECEDENCE.getOrDefault(c.name(), 0);
      boolean parens = own < context;
      if (parens) {
        sb.append('(');
      }
      print(args.get(0), sb, own);
      sb.append(' ').append(op).append(' ');
      print(args.get(1), sb, own + 1); // left-associative
      if (parens) {
        sb.append(')');
      }
      return;
    }
    if (c.target() == null && c.name().equals("INDEX") && args.size() == 2) {
      print(args.get(0), sb, PRIMARY);
      sb.append('[');
      print(args.get(1), sb, 0);
      sb.append(']');
      return;
    }
    if (c.target() == null && c.name().equals("NOT") && args.size() == 1) {
      sb.append('!');
      print(args.get(0), sb, PRIMARY);
      return;
    }
    if (c.target() == null && c.name().equals("SUB") && args.size() == 1) {
      sb.append('-');
      print(args.get(0), sb, PRIMARY);
      return;
    }
    if (c.target() != null) {
      print(c.target(), sb, PRIMARY);
      sb.append('.');
    }
    sb.append(c.name()).append('(');
    for (int i = 0; i < args.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      print(args.get(i), sb, 0);
    }
    sb.append(')');
  }
}
