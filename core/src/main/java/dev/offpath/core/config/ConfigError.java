package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

/**
 * One problem found while loading config, printed as {@code file:line: message}. The category feeds
 * Mixer's self-monitoring counters ({@code mixer_config_rule_config_error_count}, …).
 */
public record ConfigError(Source source, Category category, String message) {

  /** What kind of object the problem is in. */
  public enum Category {
    /** Unreadable file, YAML syntax, a document without kind/metadata. */
    SYNTAX,
    /** An attribute manifest. */
    MANIFEST,
    /** A handler: unknown adapter, invalid params. */
    HANDLER,
    /** An instance: unknown template, bad field, expression error. */
    INSTANCE,
    /** A rule: match expression, unresolved reference, header operation. */
    RULE
  }

  public ConfigError {
    requireNonNull(source, "source");
    requireNonNull(category, "category");
    requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return source + ": " + message;
  }
}
