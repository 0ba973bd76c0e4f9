package dev.offpath.core.adapter;

import static java.util.Objects.requireNonNull;

/**
 * Invalid handler params. {@link #path()} names the offending param ({@code overrides[1].maxAmount},
 * empty for the params as a whole) so the config loader can report the YAML line; the message says
 * what was expected, e.g. {@code maxAmount: -1 (expected: > 0)}.
 */
public final class AdapterConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String path;

  public AdapterConfigException(String path, String message) {
    super(message);
    this.path = requireNonNull(path, "path");
  }

  public String path() {
    return path;
  }
}
