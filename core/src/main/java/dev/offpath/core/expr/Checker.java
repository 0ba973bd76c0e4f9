package dev.offpath.core.expr;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Type-checks an {@link Ast} against a manifest and builds the {@link Node} tree, reporting errors
 * with the texts of Mixer's checker (mixer/pkg/lang/ast EvalType) and IL compiler ("internal compiler
 * error -- ..." for operators Mixer never implemented for a type).
 *
 * <p>Deliberate extensions over Mixer, each accepting only what Mixer rejected: a string literal that
 * reads as a duration ({@code "0"}, {@code "10s"}) is a DURATION as in Mixer but also serves where a
 * STRING is expected; {@code !b}, unary {@code -} on numbers and durations, {@code size(map)}, and
 * {@code == != < <= > >=} on DURATION. Excess arguments are an arity error (Mixer ignored them).
 * A constant regular expression that does not compile is a compile error (Mixer failed each call).
 *
 * <p>Sub-trees whose operands are all constants are evaluated once here; a constant conversion that
 * fails ({@code ip("10.1.12")}) is left to fail at evaluation time, as in Mixer.
 */
final class Checker {

  /** A function signature; null types are Mixer's VALUE_TYPE_UNSPECIFIED (the first one seen). */
  private record Signature(
      boolean instance, @Nullable ValueType target, @Nullable ValueType result, @Nullable ValueType[] args) {}

  private static final Map<String, Signature> SIGNATURES = new HashMap<>();

  private static void fn(String name, @Nullable ValueType result, @Nullable ValueType... args) {
    SIGNATURES.put(name, new Signature(false, null, result, args));
  }

  private static void method(String name, ValueType target, ValueType result, ValueType... args) {
    SIGNATURES.put(name, new Signature(true, target, result, args));
  }

  static {
    ValueType s = ValueType.STRING;
    ValueType b = ValueType.BOOL;
    for (String op : List.of("EQ", "NEQ", "LT", "LEQ", "GT", "GEQ")) {
      fn(op, b, null, null);
    }
    fn("OR", null, null, null);
    fn("LOR", b, b, b);
    fn("LAND", b, b, b);
    fn("INDEX", s, ValueType.STRING_MAP, s);
    fn("conditional", null, b, null, null);
    fn("ADD", null, null, null);
    fn("size", ValueType.INT64, s);
    fn("ip", ValueType.IP_ADDRESS, s);
    fn("timestamp", ValueType.TIMESTAMP, s);
    fn("dnsName", ValueType.DNS_NAME, s);
    fn("email", ValueType.EMAIL_ADDRESS, s);
    fn("uri", ValueType.URI, s);
    fn("match", b, s, s);
    method("matches", s, b, s);
    method("startsWith", s, b, s);
    method("endsWith", s, b, s);
    fn("emptyStringMap", ValueType.STRING_MAP);
    fn("conditionalString", s, b, s, s);
    fn("toLower", s, s);
    fn("NOT", b, b);
    fn("SUB", null, (ValueType) null);
  }

  private final AttributeManifest manifest;

  Checker(AttributeManifest manifest) {
    this.manifest = manifest;
  }

  Node check(Ast e) throws ExpressionException {
    return switch (e) {
      case Ast.Const c -> new Nodes.Constant(c.type(), c.value());
      case Ast.Var v -> {
        ValueType t = manifest.typeOf(v.name());
        if (t == null) {
          throw new ExpressionException("unknown attribute " + v.name());
        }
        yield new Nodes.Attribute(v.name(), t);
      }
      case Ast.Call f -> checkCall(f);
    };
  }

  private static boolean isDurationText(Ast e) {
    return e instanceof Ast.Const c && c.text() != null;
  }

  private static Node asString(Ast e) {
    return new Nodes.Constant(ValueType.STRING, Objects.requireNonNull(((Ast.Const) e).text()));
  }

  private Node checkCall(Ast.Call f) throws ExpressionException {
    String name = f.name();
    Signature sig = SIGNATURES.get(name);
    if (sig == null || (name.equals("SUB") && f.args().size() != 1)) {
      throw new ExpressionException("unknown function: " + name);
    }
    Node target = null;
    Ast targetAst = f.target();
    if (targetAst != null) {
      if (!sig.instance()) {
        throw new ExpressionException("invoking regular function on instance method: " + name);
      }
      target = check(targetAst);
      if (target.type != sig.target()) {
        if (sig.target() == ValueType.STRING && isDurationText(targetAst)) {
          target = asString(targetAst);
        } else {
          throw new ExpressionException(
              f + " target typeError got " + target.type + ", expected " + sig.target());
        }
      }
    } else if (sig.instance()) {
      throw new ExpressionException("invoking instance method without an instance: " + name);
    }

    List<Ast> argAsts = f.args();
    int n = sig.args().length;
    if (argAsts.size() != n) {
      throw new ExpressionException(
          f + " arity mismatch. Got " + argAsts.size() + " arg(s), expected " + n + " arg(s)");
    }
    Node[] args = new Node[n];
    ValueType template = null;
    for (int i = 0; i < n; i++) {
      Node a = args[i] != null ? args[i] : check(argAsts.get(i));
      args[i] = a;
      ValueType expected = sig.args()[i];
      if (expected == null) {
        if (template == null) {
          template = a.type;
          if (isDurationText(argAsts.get(i)) && laterArgIsString(argAsts, args, i)) {
            template = ValueType.STRING;
            args[i] = asString(argAsts.get(i));
          }
          continue;
        }
        expected = template;
      }
      if (a.type != expected) {
        if (expected == ValueType.STRING && isDurationText(argAsts.get(i))) {
          args[i] = asString(argAsts.get(i));
        } else if (!(name.equals("size") && a.type == ValueType.STRING_MAP)) {
          throw new ExpressionException(
              f + " arg " + (i + 1) + " (" + argAsts.get(i) + ") typeError got " + a.type
                  + ", expected " + expected);
        }
      }
    }
    ValueType result = sig.result() != null ? sig.result() : template;
    Node node = build(f, result, target, args);
    return fold(node, target, args);
  }

  private boolean laterArgIsString(List<Ast> asts, Node[] args, int i) throws ExpressionException {
    for (int j = i + 1; j < args.length; j++) {
      if (args[j] == null) {
        args[j] = check(asts.get(j));
      }
      if (args[j].type == ValueType.STRING && !isDurationText(asts.get(j))) {
        return true;
      }
    }
    return false;
  }

  /** Mixer's IL type names, as its compiler's internal errors print them. */
  private static String ilName(ValueType t) {
    return switch (t) {
      case STRING, EMAIL_ADDRESS, DNS_NAME, URI -> "string";
      case INT64 -> "integer";
      case DOUBLE -> "double";
      case BOOL -> "bool";
      case DURATION -> "duration";
      default -> "interface";
    };
  }

  private static ExpressionException internal(String what, ValueType t) {
    return new ExpressionException(
        "internal compiler error -- " + what + " for type not yet implemented: " + ilName(t));
  }

  private static Node build(Ast.Call f, @Nullable ValueType result, @Nullable Node target, Node[] a)
      throws ExpressionException {
    ValueType type = result == null ? ValueType.STRING : result;
    return switch (f.name()) {
      case "EQ", "NEQ" -> {
        if (a[0].type == ValueType.STRING_MAP) {
          throw internal("equality", a[0].type);
        }
        yield new Nodes.Equals(a[0], a[1], Nodes.Equality.of(a[0].type), f.name().equals("NEQ"));
      }
      case "LT", "LEQ", "GT", "GEQ" -> {
        Nodes.Comparison c = Nodes.Comparison.valueOf(f.name());
        ValueType t = a[0].type;
        if (t == ValueType.BOOL || t == ValueType.IP_ADDRESS || t == ValueType.STRING_MAP) {
          String what =
              switch (c) {
                case LT -> "less than";
                case LEQ -> "less or equal";
                case GT -> "greater than";
                case GEQ -> "greater or equal";
              };
          throw internal(what, t);
        }
        yield new Nodes.Compare(a[0], a[1], c);
      }
      case "OR" -> a[0].constantValue() != null ? a[0] : new Nodes.Or(type, a[0], a[1]);
      case "LOR" -> new Nodes.LogicalOr(a[0], a[1]);
      case "LAND" -> new Nodes.LogicalAnd(a[0], a[1]);
      case "NOT" -> new Nodes.Not(a[0]);
      case "SUB" -> {
        ValueType t = a[0].type;
        if (t != ValueType.INT64 && t != ValueType.DOUBLE && t != ValueType.DURATION) {
          throw new ExpressionException(
              f + " arg 1 (" + f.args().get(0) + ") typeError got " + t + ", expected INT64 or DOUBLE");
        }
        yield new Nodes.Negate(a[0]);
      }
      case "INDEX" -> new Nodes.Index(a[0], a[1]);
      case "conditional" -> new Nodes.Conditional(type, a[0], a[1], a[2]);
      case "conditionalString" -> new Nodes.ConditionalString(a[0], a[1], a[2]);
      case "ADD" -> {
        switch (type) {
          case STRING, DNS_NAME, EMAIL_ADDRESS, URI, INT64, DOUBLE -> {}
          default -> throw new ExpressionException(
              "internal compiler error -- Add for type not yet implemented: " + ilName(type));
        }
        yield new Nodes.Add(type, a[0], a[1]);
      }
      case "size" -> new Nodes.Unary(type, Nodes.Unary.Fn.SIZE, a[0]);
      case "ip" -> new Nodes.Unary(type, Nodes.Unary.Fn.IP, a[0]);
      case "timestamp" -> new Nodes.Unary(type, Nodes.Unary.Fn.TIMESTAMP, a[0]);
      case "dnsName" -> new Nodes.Unary(type, Nodes.Unary.Fn.DNS_NAME, a[0]);
      case "email" -> new Nodes.Unary(type, Nodes.Unary.Fn.EMAIL, a[0]);
      case "uri" -> new Nodes.Unary(type, Nodes.Unary.Fn.URI, a[0]);
      case "toLower" -> new Nodes.Unary(type, Nodes.Unary.Fn.TO_LOWER, a[0]);
      case "match" -> new Nodes.Match(a[0], a[1]);
      case "matches" -> {
        Node regex = java.util.Objects.requireNonNull(target);
        Pattern compiled = null;
        if (regex.constantValue() instanceof String r) {
          try {
            compiled = Pattern.compile(r);
          } catch (PatternSyntaxException e) {
            throw new ExpressionException(f + ": " + e.getMessage(), e);
          }
        }
        yield new Nodes.Matches(regex, a[0], compiled);
      }
      case "startsWith" -> new Nodes.StartsWith(java.util.Objects.requireNonNull(target), a[0], false);
      case "endsWith" -> new Nodes.StartsWith(java.util.Objects.requireNonNull(target), a[0], true);
      case "emptyStringMap" -> new Nodes.Constant(ValueType.STRING_MAP, StringMap.empty());
      default -> throw new ExpressionException("unknown function: " + f.name());
    };
  }

  /** Evaluates a node whose operands are all constants once; a failure is left for evaluation. */
  private static Node fold(Node node, @Nullable Node target, Node[] args) {
    if (node.constantValue() != null) {
      return node;
    }
    if (target != null && target.constantValue() == null) {
      return node;
    }
    for (Node a : args) {
      if (a.constantValue() == null) {
        return node;
      }
    }
    try {
      return new Nodes.Constant(node.type, node.eval(Attributes.empty()));
    } catch (EvaluationException e) {
      return node;
    }
  }
}
