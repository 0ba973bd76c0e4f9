package dev.offpath.core.expr;

import com.google.re2j.Pattern;
import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** The node kinds: one small final class per operator or function. */
final class Nodes {

  private Nodes() {}

  static final class Constant extends Node {
    private final Object value;

    Constant(ValueType type, Object value) {
      super(type);
      this.value = value;
    }

    @Override
    Object eval(Attributes attributes) {
      return value;
    }

    @Override
    boolean evalBoolean(Attributes attributes) {
      return (Boolean) value;
    }

    @Override
    Object constantValue() {
      return value;
    }
  }

  /** The Java class Mixer's interpreter would accept for each type, and its conversion-error word. */
  static Class<?> javaClass(ValueType type) {
    return switch (type) {
      case STRING, EMAIL_ADDRESS, DNS_NAME, URI -> String.class;
      case INT64 -> Long.class;
      case DOUBLE -> Double.class;
      case BOOL -> Boolean.class;
      case TIMESTAMP -> Instant.class;
      case DURATION -> Duration.class;
      case IP_ADDRESS -> IpAddress.class;
      case STRING_MAP -> StringMap.class;
    };
  }

  private static String conversionWord(ValueType type) {
    return switch (type) {
      case STRING, EMAIL_ADDRESS, DNS_NAME, URI -> "string";
      case INT64, DURATION -> "integer or duration";
      case DOUBLE -> "double";
      case BOOL -> "bool";
      default -> type.name();
    };
  }

  static final class Attribute extends Node {
    private final String name;
    private final int id;
    private final Class<?> javaClass;

    Attribute(String name, ValueType type) {
      super(type);
      this.name = name;
      this.id = AttributeIds.of(name);
      this.javaClass = javaClass(type);
    }

    @Override
    Object eval(Attributes attributes) throws EvaluationException {
      Object v = attributes.get(id, name);
      if (v == null) {
        throw new EvaluationException("lookup failed: '" + name + "'");
      }
      return checked(v);
    }

    @Override
    @Nullable Object tryEval(Attributes attributes) throws EvaluationException {
      Object v = attributes.get(id, name);
      return v == null ? null : checked(v);
    }

    private Object checked(Object v) throws EvaluationException {
      // The exact-class test is a pointer compare and covers every final value class.
      if (v.getClass() != javaClass && !javaClass.isInstance(v)) {
        throw new EvaluationException("error converting value to " + conversionWord(type) + ": '" + v + "'");
      }
      return v;
    }
  }

  /**
   * {@code map[key]}. A missing key reads as "" (Mixer's interpreter), except on the left of {@code |}
   * where it makes the operand absent.
   */
  static final class Index extends Node {
    private final Node map;
    private final Node key;
    private final @Nullable String constantKey;

    Index(Node map, Node key) {
      super(ValueType.STRING);
      this.map = map;
      this.key = key;
      this.constantKey = (String) key.constantValue();
    }

    @Override
    Object eval(Attributes attributes) throws EvaluationException {
      StringMap m = (StringMap) map.eval(attributes);
      String k = constantKey != null ? constantKey : (String) key.eval(attributes);
      String v = m.get(k);
      return v == null ? "" : v;
    }

    @Override
    @Nullable Object tryEval(Attributes attributes) throws EvaluationException {
      StringMap m = (StringMap) map.tryEval(attributes);
      if (m == null) {
        return null;
      }
      String k = constantKey != null ? constantKey : (String) key.tryEval(attributes);
      return k == null ? null : m.get(k);
    }
  }

  /** Mixer's {@code |}: the first present operand. */
  static final class Or extends Node {
    private final Node left;
    private final Node right;

    Or(ValueType type, Node left, Node right) {
      super(type);
      this.left = left;
      this.right = right;
    }

    @Override
    Object eval(Attributes attributes) throws EvaluationException {
      Object v = left.tryEval(attributes);
      return v != null ? v : right.eval(attributes);
    }

    @Override
    @Nullable Object tryEval(Attributes attributes) throws EvaluationException {
      Object v = left.tryEval(attributes);
      return v != null ? v : right.tryEval(attributes);
    }
  }

  abstract static class BooleanNode extends Node {
    BooleanNode() {
      super(ValueType.BOOL);
    }

    @Override
    final Object eval(Attributes attributes) throws EvaluationException {
      return evalBoolean(attributes);
    }

    @Override
    abstract boolean evalBoolean(Attributes attributes) throws EvaluationException;
  }

  static final class LogicalOr extends BooleanNode {
    private final Node left;
    private final Node right;

    LogicalOr(Node left, Node right) {
      this.left = left;
      this.right = right;
    }

    @Override
    boolean evalBoolean(Attributes attributes) throws EvaluationException {
      return left.evalBoolean(attributes) || right.evalBoolean(attributes);
    }

    @Override
    @Nullable LeadingEquality leadingEquality() {
      // False on both sides without an error or another read: false as a whole.
      return LeadingEquality.union(left.leadingEquality(), right.leadingEquality());
    }
  }

  static final class LogicalAnd extends BooleanNode {
    private final Node left;
    private final Node right;

    LogicalAnd(Node left, Node right) {
      this.left = left;
      this.right = right;
    }

    @Override
    boolean evalBoolean(Attributes attributes) throws EvaluationException {
      return left.evalBoolean(attributes) && right.evalBoolean(attributes);
    }

    @Override
    @Nullable LeadingEquality leadingEquality() {
      // The left operand first; when it is false the right one is not evaluated.
      return left.leadingEquality();
    }
  }

  static final class Not extends BooleanNode {
    private final Node operand;

    Not(Node operand) {
      this.operand = operand;
    }

    @Override
    boolean evalBoolean(Attributes attributes) throws EvaluationException {
      return !operand.evalBoolean(attributes);
    }
  }

  /** How two values of one type compare for {@code ==}. */
  enum Equality {
    PLAIN,
    DNS_NAME,
    EMAIL,
    URI;

    static Equality of(ValueType type) {
      return switch (type) {
        case DNS_NAME -> DNS_NAME;
        case EMAIL_ADDRESS -> EMAIL;
        case URI -> URI;
        default -> PLAIN;
      };
    }

    boolean test(Object a, Object b) throws EvaluationException {
      return switch (this) {
        case PLAIN -> a.equals(b);
        case DNS_NAME -> Builtins.dnsNameEqual((String) a, (String) b);
        case EMAIL -> Builtins.emailEqual((String) a, (String) b);
        case URI -> Builtins.uriEqual((String) a, (String) b);
      };
    }
  }

  static final class Equals extends BooleanNode {
    private final Node left;
    private final Node right;
    private final Equality equality;
    private final boolean negate;

    Equals(Node left, Node right, Equality equality, boolean negate) {
      this.left = left;
      this.right = right;
      this.equality = equality;
      this.negate = negate;
    }

    @Override
    boolean evalBoolean(Attributes attributes) throws EvaluationException {
      Object a = left.eval(attributes);
      Object b = right.eval(attributes);
      return equality.test(a, b) != negate;
    }

    @Override
    @Nullable LeadingEquality leadingEquality() {
      // A STRING attribute against a string constant, plain equality: reads the attribute only,
      // and for a present String value is true exactly when it equals the constant.
      if (negate || equality != Equality.PLAIN) {
        return null;
      }
      Node attribute = left instanceof Attribute ? left : right instanceof Attribute ? right : null;
      Node constant = attribute == left ? right : left;
      if (attribute == null
          || attribute.type != ValueType.STRING
          || !(constant instanceof Constant c)
          || !(c.value instanceof String value)) {
        return null;
      }
      Attribute a = (Attribute) attribute;
      return new LeadingEquality(a.name, a.id, Set.of(value));
    }
  }

  enum Comparison {
    LT,
    LEQ,
    GT,
    GEQ;

    boolean holds(int c) {
      return switch (this) {
        case LT -> c < 0;
        case LEQ -> c <= 0;
        case GT -> c > 0;
        case GEQ -> c >= 0;
      };
    }

    boolean holds(double a, double b) {
      return switch (this) {
        case LT -> a < b;
        case LEQ -> a <= b;
        case GT -> a > b;
        case GEQ -> a >= b;
      };
    }
  }

  static final class Compare extends BooleanNode {
    private final Node left;
    private final Node right;
    private final Comparison comparison;

    Compare(Node left, Node right, Comparison comparison) {
      this.left = left;
      this.right = right;
      this.comparison = comparison;
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    boolean evalBoolean(Attributes attributes) throws EvaluationException {
      Object a = left.eval(attributes);
      Object b = right.eval(attributes);
      if (a instanceof Double x) {
        return comparison.holds(x, (Double) b);
      }
      return comparison.holds(((Comparable) a).compareTo(b));
    }
  }

  static final class Add extends Node {
    private final Node left;
    private final Node right;

    Add(ValueType type, Node left, Node right) {
      super(type);
      this.left = left;
      this.right = right;
    }

    @Override
    Object eval(Attributes attributes) throws EvaluationException {
      Object a = left.eval(attributes);
      Object b = right.eval(attributes);
      return switch (type) {
        case INT64 -> (Long) a + (Long) b;
        case DOUBLE -> (Double) a + (Double) b;
        default -> ((String) a).concat((String) b);
      };
    }
  }

  static final class Negate extends Node {
    private final Node operand;

    Negate(Node operand) {
      super(operand.type);
      this.operand = operand;
    }

    @Override
    Object eval(Attributes attributes) throws EvaluationException {
      Object v = operand.eval(attributes);
      return switch (type) {
        case INT64 -> -(Long) v;
        case DOUBLE -> -(Double) v;
        default -> ((Duration) v).negated();
      };
    }
  }

  static final class Conditional extends Node {
    private final Node condition;
    private final Node ifTrue;
    private final Node ifFalse;

    Conditional(ValueType type, Node condition, Node ifTrue, Node ifFalse) {
      super(type);
      this.condition = condition;
      this.ifTrue = ifTrue;
      this.ifFalse = ifFalse;
    }

    @Override
    Object eval(Attributes attributes) throws EvaluationException {
      return condition.evalBoolean(attributes) ? ifTrue.eval(attributes) : ifFalse.eval(attributes);
    }

    @Override
    boolean evalBoolean(Attributes attributes) throws EvaluationException {
      return condition.evalBoolean(attributes)
          ? ifTrue.evalBoolean(attributes)
          : ifFalse.evalBoolean(attributes);
    }
  }

  /** {@code match(str, pattern)}; a constant pattern is split once into its mode and text. */
  static final class Match extends BooleanNode {
    private final Node str;
    private final Node pattern;
    private final @Nullable String constantPattern;

    Match(Node str, Node pattern) {
      this.str = str;
      this.pattern = pattern;
      this.constantPattern = (String) pattern.constantValue();
    }

    @Override
    boolean evalBoolean(Attributes attributes) throws EvaluationException {
      String s = (String) str.eval(attributes);
      String p = constantPattern != null ? constantPattern : (String) pattern.eval(attributes);
      return Builtins.match(s, p);
    }
  }

  /** {@code "regex".matches(str)}: unanchored RE2 search, as Go's regexp.MatchString. */
  static final class Matches extends BooleanNode {
    private final Node regex;
    private final Node str;
    private final @Nullable Pattern compiled;

    Matches(Node regex, Node str, @Nullable Pattern compiled) {
      this.regex = regex;
      this.str = str;
      this.compiled = compiled;
    }

    @Override
    boolean evalBoolean(Attributes attributes) throws EvaluationException {
      Pattern p = compiled;
      if (p == null) {
        String r = (String) regex.eval(attributes);
        try {
          p = Pattern.compile(r);
        } catch (com.google.re2j.PatternSyntaxException e) {
          throw new EvaluationException(String.valueOf(e.getMessage()), e);
        }
      }
      return p.matcher((String) str.eval(attributes)).find();
    }
  }

  static final class StartsWith extends BooleanNode {
    private final Node str;
    private final Node prefix;
    private final boolean suffix;

    StartsWith(Node str, Node prefix, boolean suffix) {
      this.str = str;
      this.prefix = prefix;
      this.suffix = suffix;
    }

    @Override
    boolean evalBoolean(Attributes attributes) throws EvaluationException {
      String s = (String) str.eval(attributes);
      String p = (String) prefix.eval(attributes);
      return suffix ? s.endsWith(p) : s.startsWith(p);
    }
  }

  /** A function of one argument: conversions, toLower, size. */
  static final class Unary extends Node {
    enum Fn {
      IP,
      TIMESTAMP,
      DNS_NAME,
      EMAIL,
      URI,
      TO_LOWER,
      SIZE
    }

    private final Fn fn;
    private final Node arg;

    Unary(ValueType type, Fn fn, Node arg) {
      super(type);
      this.fn = fn;
      this.arg = arg;
    }

    @Override
    Object eval(Attributes attributes) throws EvaluationException {
      Object v = arg.eval(attributes);
      return switch (fn) {
        case IP -> Builtins.ip((String) v);
        case TIMESTAMP -> Builtins.timestamp((String) v);
        case DNS_NAME -> Builtins.dnsName((String) v);
        case EMAIL -> Builtins.email((String) v);
        case URI -> Builtins.uri((String) v);
        case TO_LOWER -> ((String) v).toLowerCase(Locale.ROOT);
        case SIZE -> v instanceof StringMap m ? (long) m.size() : Builtins.utf8Length((String) v);
      };
    }
  }

  /** Mixer's {@code conditionalString} extern: all three arguments are evaluated, as for any extern. */
  static final class ConditionalString extends Node {
    private final Node condition;
    private final Node ifTrue;
    private final Node ifFalse;

    ConditionalString(Node condition, Node ifTrue, Node ifFalse) {
      super(ValueType.STRING);
      this.condition = condition;
      this.ifTrue = ifTrue;
      this.ifFalse = ifFalse;
    }

    @Override
    Object eval(Attributes attributes) throws EvaluationException {
      boolean c = condition.evalBoolean(attributes);
      Object t = ifTrue.eval(attributes);
      Object f = ifFalse.eval(attributes);
      return c ? t : f;
    }
  }
}
