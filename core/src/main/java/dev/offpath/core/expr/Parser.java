package dev.offpath.core.expr;

import dev.offpath.core.adapter.Params;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.expr.Lexer.Kind;
import dev.offpath.core.expr.Lexer.Token;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Recursive-descent parser for the Go expression syntax Mixer used, producing Mixer's {@link Ast}:
 * binary operators become calls named as Mixer named them ({@code a == b} is {@code EQ($a, b)}), a
 * dotted identifier chain is one attribute name, {@code x.f(y)} is an instance call with target
 * {@code x}. Go precedence: {@code * / % << >> & &^} over {@code + - | ^} over comparisons over
 * {@code &&} over {@code ||}; all left-associative.
 *
 * <p>Syntactic nesting is capped at {@link #MAX_DEPTH} and the operator count at {@link
 * #MAX_OPERATORS}, so that checking and evaluating (both recursive) stay within a small stack.
 */
final class Parser {

  static final int MAX_DEPTH = 100;
  static final int MAX_OPERATORS = 1000;

  private static final Map<String, String> BINARY =
      Map.ofEntries(
          Map.entry("||", "LOR"),
          Map.entry("&&", "LAND"),
          Map.entry("==", "EQ"),
          Map.entry("!=", "NEQ"),
          Map.entry("<", "LT"),
          Map.entry("<=", "LEQ"),
          Map.entry(">", "GT"),
          Map.entry(">=", "GEQ"),
          Map.entry("+", "ADD"),
          Map.entry("-", "SUB"),
          Map.entry("|", "OR"),
          Map.entry("^", "XOR"),
          Map.entry("*", "MUL"),
          Map.entry("/", "QUO"),
          Map.entry("%", "REM"),
          Map.entry("<<", "SHL"),
          Map.entry(">>", "SHR"),
          Map.entry("&", "AND"),
          Map.entry("&^", "AND_NOT"));

  private static final Pattern DECIMAL_FLOAT =
      Pattern.compile("([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");
  private static final Pattern GO_DURATION =
      Pattern.compile("[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)");

  private final String src;
  private final List<Token> tokens;
  private int index;
  private int depth;
  private int operators;

  private Parser(String src, List<Token> tokens) {
    this.src = src;
    this.tokens = tokens;
  }

  static Ast parse(String src) throws ExpressionException {
    Parser p = new Parser(src, Lexer.tokenize(src));
    Ast result = p.binary(1);
    Token t = p.peek();
    if (t.kind() == Kind.OP && t.text().equals("=")) {
      throw p.expected("'=='");
    }
    if (t.kind() != Kind.EOF) {
      throw p.expected("'EOF'");
    }
    return result;
  }

  private Token peek() {
    return tokens.get(index);
  }

  private Token peek(int ahead) {
    return tokens.get(Math.min(index + ahead, tokens.size() - 1));
  }

  private boolean isOp(Token t, String op) {
    return t.kind() == Kind.OP && t.text().equals(op);
  }

  private ExpressionException expected(String what) {
    Token t = peek();
    return Lexer.syntaxError(src, t.offset(), "expected " + what + ", found " + t.describe());
  }

  private void expect(String op) throws ExpressionException {
    if (!isOp(peek(), op)) {
      throw expected("'" + op + "'");
    }
    index++;
  }

  private static int precedence(Token t) {
    if (t.kind() != Kind.OP) {
      return 0;
    }
    return switch (t.text()) {
      case "||" -> 1;
      case "&&" -> 2;
      case "==", "!=", "<", "<=", ">", ">=", "=" -> 3;
      case "+", "-", "|", "^" -> 4;
      case "*", "/", "%", "<<", ">>", "&", "&^" -> 5;
      default -> 0;
    };
  }

  private Ast binary(int minPrecedence) throws ExpressionException {
    Ast x = unary();
    while (true) {
      Token op = peek();
      int prec = precedence(op);
      if (prec < minPrecedence) {
        return x;
      }
      if (op.text().equals("=")) {
        // Go's parser reads '=' here as a misspelt '=='.
        throw expected("'=='");
      }
      index++;
      if (++operators > MAX_OPERATORS) {
        throw new ExpressionException(
            "expression has more than " + MAX_OPERATORS + " operators: '" + abbreviate() + "'");
      }
      Ast y = binary(prec + 1);
      x = new Ast.Call(Objects.requireNonNull(BINARY.get(op.text())), null, List.of(x, y));
    }
  }

  private String abbreviate() {
    return src.length() <= 60 ? src : src.substring(0, 57) + "...";
  }

  private void enter() throws ExpressionException {
    if (++depth > MAX_DEPTH) {
      throw new ExpressionException(
          "expression nesting exceeds the maximum depth of " + MAX_DEPTH + ": '" + abbreviate() + "'");
    }
  }

  private Ast unary() throws ExpressionException {
    Token t = peek();
    if (t.kind() != Kind.OP) {
      return primary();
    }
    String name =
        switch (t.text()) {
          case "+" -> "ADD";
          case "-" -> "SUB";
          case "!" -> "NOT";
          case "^" -> "XOR";
          case "&" -> "AND";
          default -> null;
        };
    if (name == null) {
      if (t.text().equals("*") || t.text().equals("<-")) {
        throw new ExpressionException("unexpected expression: '" + src.substring(t.offset()) + "'");
      }
      return primary();
    }
    index++;
    Token next = peek();
    if (name.equals("SUB") && (next.kind() == Kind.INT || next.kind() == Kind.FLOAT)) {
      index++;
      return postfix(number(next.kind(), "-" + next.text()));
    }
    enter();
    Ast x = unary();
    depth--;
    return new Ast.Call(name, null, List.of(x));
  }

  private Ast primary() throws ExpressionException {
    enter();
    Token t = peek();
    Ast x;
    switch (t.kind()) {
      case IDENT -> {
        index++;
        List<String> chain = new ArrayList<>();
        chain.add(t.text());
        while (isOp(peek(), ".") && peek(1).kind() == Kind.IDENT) {
          chain.add(peek(1).text());
          index += 2;
        }
        if (isOp(peek(), "(")) {
          List<Ast> args = arguments();
          String fn = chain.removeLast();
          x = new Ast.Call(fn, chain.isEmpty() ? null : new Ast.Var(String.join(".", chain)), args);
        } else if (chain.size() == 1 && isBoolean(t.text())) {
          String lower = t.text().toLowerCase(Locale.ROOT);
          x = new Ast.Const(lower, ValueType.BOOL, Boolean.valueOf(lower), null);
        } else {
          x = new Ast.Var(String.join(".", chain));
        }
      }
      case INT, FLOAT -> {
        index++;
        x = number(t.kind(), t.text());
      }
      case STRING, CHAR -> {
        index++;
        x = string(t.text());
      }
      case OP -> {
        if (!t.text().equals("(")) {
          throw expected("operand");
        }
        index++;
        x = binary(1);
        expect(")");
      }
      default -> throw expected("operand");
    }
    x = postfix(x);
    depth--;
    return x;
  }

  private Ast postfix(Ast x) throws ExpressionException {
    while (true) {
      Token t = peek();
      if (isOp(t, ".")) {
        index++;
        Token sel = peek();
        if (sel.kind() != Kind.IDENT) {
          throw expected("selector or type assertion");
        }
        index++;
        if (!isOp(peek(), "(")) {
          throw new ExpressionException(
              "unexpected expression: '" + src.substring(0, sel.offset() + sel.text().length()) + "'");
        }
        x = new Ast.Call(sel.text(), x, arguments());
      } else if (isOp(t, "[")) {
        index++;
        enter();
        Ast key = binary(1);
        depth--;
        expect("]");
        x = new Ast.Call("INDEX", null, List.of(x, key));
      } else if (isOp(t, "(")) {
        throw new ExpressionException(
            "unexpected expression: '" + src.substring(0, t.offset()) + "' is not a function name");
      } else {
        return x;
      }
    }
  }

  private List<Ast> arguments() throws ExpressionException {
    expect("(");
    List<Ast> args = new ArrayList<>();
    while (!isOp(peek(), ")")) {
      enter();
      args.add(binary(1));
      depth--;
      if (!isOp(peek(), ",")) {
        break;
      }
      index++;
    }
    expect(")");
    return args;
  }

  private static boolean isBoolean(String ident) {
    return ident.equalsIgnoreCase("true") || ident.equalsIgnoreCase("false");
  }

  private static Ast number(Kind kind, String text) throws ExpressionException {
    if (kind == Kind.INT) {
      try {
        return new Ast.Const(text, ValueType.INT64, Long.parseLong(text), null);
      } catch (NumberFormatException e) {
        String why = text.matches("-?[0-9]+") ? "value out of range" : "invalid syntax";
        throw new ExpressionException("strconv.ParseInt: parsing \"" + text + "\": " + why);
      }
    }
    String unsigned = text.startsWith("-") ? text.substring(1) : text;
    if (!DECIMAL_FLOAT.matcher(unsigned).matches()) {
      throw new ExpressionException("strconv.ParseFloat: parsing \"" + text + "\": invalid syntax");
    }
    double d = Double.parseDouble(text);
    if (Double.isInfinite(d)) {
      throw new ExpressionException("strconv.ParseFloat: parsing \"" + text + "\": value out of range");
    }
    return new Ast.Const(text, ValueType.DOUBLE, d, null);
  }

  private static Ast string(String literal) {
    String value = Lexer.unquote(literal);
    if (GO_DURATION.matcher(value).matches()) {
      try {
        Duration d = Params.parseDuration(value);
        return new Ast.Const(literal, ValueType.DURATION, d, value);
      } catch (IllegalArgumentException | ArithmeticException e) {
        // Not a representable duration: a plain string, as in Go.
      }
    }
    return new Ast.Const(literal, ValueType.STRING, value, null);
  }
}
