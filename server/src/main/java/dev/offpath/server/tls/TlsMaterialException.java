package dev.offpath.server.tls;

/** A certificate, key or CA file that cannot be used; the message names the file and the problem. */
public final class TlsMaterialException extends Exception {

  private static final long serialVersionUID = 1L;

  TlsMaterialException(String message) {
    super(message);
  }

  TlsMaterialException(String message, Throwable cause) {
    super(message, cause);
  }
}
