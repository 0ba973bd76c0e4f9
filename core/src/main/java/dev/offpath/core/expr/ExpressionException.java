package dev.offpath.core.expr;

/**
 * An expression that does not parse or does not type-check. The message says where (column) and why,
 * e.g. {@code unknown attribute 'foo.bar'} or {@code EQ(ai, bs) arguments must have the same type}.
 */
public final class ExpressionException extends Exception {
  private static final long serialVersionUID = 1L;

  public ExpressionException(String message) {
    super(message);
  }

  public ExpressionException(String message, Throwable cause) {
    super(message, cause);
  }
}
