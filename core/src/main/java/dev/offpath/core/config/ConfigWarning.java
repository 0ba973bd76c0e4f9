package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

/**
 * Something in the config that loads but is not applied: an object of a kind Offpath does not serve
 * (a {@code DestinationRule}, a {@code kubernetesenv} handler) and what depended on it.
 */
public record ConfigWarning(Source source, String message) {

  public ConfigWarning {
    requireNonNull(source, "source");
    requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return source + ": warning: " + message;
  }
}
