package dev.offpath.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates {@code shared/mixer-reference/} (Mixer's expression table, Istio's configs and samples),
 * which sits beside the repository checkout. Set {@code -Doffpath.mixer.reference=DIR} to point
 * elsewhere. Fails loudly rather than letting acceptance tests pass without their data.
 */
public final class MixerReference {

  private MixerReference() {}

  public static Path dir() {
    String prop = System.getProperty("offpath.mixer.reference");
    if (prop != null) {
      return existing(Path.of(prop));
    }
    Path d = Path.of("").toAbsolutePath();
    for (; d != null; d = d.getParent()) {
      Path candidate = d.resolve("shared").resolve("mixer-reference");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
      Path sibling = d.resolveSibling("shared").resolve("mixer-reference");
      if (d.getParent() != null && Files.isDirectory(sibling)) {
        return sibling;
      }
    }
    throw new IllegalStateException(
        "shared/mixer-reference not found above " + Path.of("").toAbsolutePath()
            + " (set -Doffpath.mixer.reference=DIR)");
  }

  /** A file inside the reference folder, e.g. {@code samples/mixer-rule-deny-ip.yaml}. */
  public static Path file(String relative) {
    return existing(dir().resolve(relative));
  }

  private static Path existing(Path p) {
    if (!Files.exists(p)) {
      throw new IllegalStateException("missing Mixer reference data: " + p);
    }
    return p;
  }
}
