package dev.offpath.core.expr;

import dev.offpath.core.attribute.ValueType;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Mixer's simplified expression tree: constants, attribute variables and function calls (operators are
 * calls named as Mixer named them: {@code EQ}, {@code LOR}, {@code OR}, {@code INDEX} ...). {@link
 * #toString()} prints Mixer's notation ({@code EQ($a, 2)}), which its type errors quote.
 */
sealed interface Ast {

  /**
   * A literal. {@code source} is the text as written; a string literal that reads as a Go duration
   * ({@code "10ms"}) has type DURATION as in Mixer, with {@code text} keeping its string form.
   */
  record Const(String source, ValueType type, Object value, @Nullable String text) implements Ast {
    @Override
    public String toString() {
      return source;
    }
  }

  record Var(String name) implements Ast {
    @Override
    public String toString() {
      return "$" + name;
    }
  }

  record Call(String name, @Nullable Ast target, List<Ast> args) implements Ast {
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      if (target != null) {
        sb.append(target).append(':');
      }
      sb.append(name).append('(');
      for (int i = 0; i < args.size(); i++) {
        if (i > 0) {
          sb.append(", ");
        }
        sb.append(args.get(i));
      }
      return sb.append(')').toString();
    }
  }
}
