package dev.offpath.core.expr;

import static java.util.Objects.requireNonNull;

import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The equality test a boolean expression evaluates first and cannot be true without: {@code
 * attribute == "c"}, an {@code ||} of such tests on one attribute ({@code a == "x" || a == "y"}), or
 * either as the left operand of {@code &&} (recursively; an {@code ||} of such conjunctions counts,
 * when every operand leads with the same attribute). The attribute is a STRING attribute and the
 * constants strings.
 *
 * <p>What it guarantees, for an expression that has one: when the attribute is present with a
 * {@code String} value that is not one of {@link #values}, the expression evaluates to false
 * without an error, and the only attribute it reads is this one (the {@code &&} stops at its left
 * operand, each {@code ||} operand is false the same way). When the value is one of them, or the
 * attribute is absent or of another class, nothing is promised: the expression must be evaluated.
 * The attribute is also the first one the expression reads. A rule index relies on all three
 * (see {@code dev.offpath.core.runtime.RuleIndex}).
 */
public record LeadingEquality(String attribute, int id, Set<String> values) {

  public LeadingEquality {
    requireNonNull(attribute, "attribute");
    values = Set.copyOf(values);
  }

  /** The leading equality of {@code expression}, or null when it has none. */
  public static @Nullable LeadingEquality of(Expression expression) {
    requireNonNull(expression, "expression");
    return expression instanceof CompiledExpression c ? c.root().leadingEquality() : null;
  }

  /** The union of two leading equalities on one attribute, or null when the attributes differ. */
  static @Nullable LeadingEquality union(
      @Nullable LeadingEquality a, @Nullable LeadingEquality b) {
    if (a == null || b == null || !a.attribute.equals(b.attribute)) {
      return null;
    }
    Set<String> all = new HashSet<>(a.values);
    all.addAll(b.values);
    return new LeadingEquality(a.attribute, a.id, all);
  }
}
