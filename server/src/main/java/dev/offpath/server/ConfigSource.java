package dev.offpath.server;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigText;
import dev.offpath.core.config.PolicyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Where config comes from: the given files and directories, or the embedded default. */
final class ConfigSource {

  static final String DEFAULT_RESOURCE = "default-config.yaml";
  static final String DEFAULT_NAME = "embedded:" + DEFAULT_RESOURCE;

  private final ConfigLoader loader;
  private final List<Path> paths;

  ConfigSource(ConfigLoader loader, List<Path> paths) {
    this.loader = requireNonNull(loader, "loader");
    this.paths = List.copyOf(paths);
  }

  boolean isEmbedded() {
    return paths.isEmpty();
  }

  List<Path> paths() {
    return paths;
  }

  String describe() {
    return paths.isEmpty() ? DEFAULT_NAME : paths.toString();
  }

  PolicyConfig load() throws ConfigException, IOException {
    if (paths.isEmpty()) {
      return loader.loadTexts(List.of(new ConfigText(DEFAULT_NAME, defaultConfigText())));
    }
    return loader.load(paths);
  }

  static String defaultConfigText() {
    try (InputStream in = ConfigSource.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("embedded default config missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
