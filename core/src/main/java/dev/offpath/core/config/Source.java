package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

/** Where a config object came from: file (as given on the command line) and 1-based line. */
public record Source(String file, int line) {

  public Source {
    requireNonNull(file, "file");
  }

  @Override
  public String toString() {
    return file + ":" + line;
  }
}
