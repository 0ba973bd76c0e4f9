package dev.offpath.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Text resources of the benchmarks jar (policies, Istio configs). */
public final class Resources {

  private Resources() {}

  /**
   * The UTF-8 text of resource {@code name}, resolved as {@link Class#getResourceAsStream} resolves
   * it against {@code anchor} (relative to its package unless it starts with {@code /}).
   *
   * @throws IllegalStateException when there is no such resource
   */
  public static String text(Class<?> anchor, String name) {
    try (InputStream in = anchor.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
