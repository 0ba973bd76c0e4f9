package dev.offpath.accesslog;

/** An access-log entry that cannot be turned into attributes (e.g. an unparsable address). */
public final class MalformedEntryException extends Exception {
  private static final long serialVersionUID = 1L;

  public MalformedEntryException(String message) {
    super(message, null, false, false);
  }
}
