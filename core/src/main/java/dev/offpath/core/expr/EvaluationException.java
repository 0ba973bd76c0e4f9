package dev.offpath.core.expr;

/** A runtime failure while evaluating an expression, e.g. {@code lookup failed: 'a'}. */
public final class EvaluationException extends Exception {
  private static final long serialVersionUID = 1L;

  public EvaluationException(String message) {
    super(message, null, false, false);
  }

  public EvaluationException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
