package dev.offpath.extauthz;

/** A CheckRequest that cannot be turned into attributes (over a limit); answered with a 400. */
final class InvalidRequestException extends Exception {
  private static final long serialVersionUID = 1L;

  InvalidRequestException(String message) {
    super(message, null, false, false);
  }
}
