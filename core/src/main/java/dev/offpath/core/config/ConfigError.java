package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

/** One problem found while loading config, printed as {@code file:line: message}. */
public record ConfigError(Source source, String message) {

  public ConfigError {
    requireNonNull(source, "source");
    requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return source + ": " + message;
  }
}
