package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

/** Config YAML held in memory (the embedded default, a test), named as errors should name it. */
public record ConfigText(String name, String content) {

  public ConfigText {
    requireNonNull(name, "name");
    requireNonNull(content, "content");
  }
}
