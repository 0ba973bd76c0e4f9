package dev.offpath.adapters.list;

/** A list entry that does not parse for the list's entry type. */
final class BadEntryException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int index;

  BadEntryException(int index, String entry, String expected) {
    super(entry + " (expected: " + expected + ")");
    this.index = index;
  }

  /** Position of the entry in the list it came from. */
  int index() {
    return index;
  }
}
