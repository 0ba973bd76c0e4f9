package dev.offpath.envoy.attributes;

/** A request that cannot be turned into attributes (over a limit); front doors answer it with a 400. */
public final class InvalidRequestException extends Exception {
  private static final long serialVersionUID = 1L;

  public InvalidRequestException(String message) {
    super(message, null, false, false);
  }
}
