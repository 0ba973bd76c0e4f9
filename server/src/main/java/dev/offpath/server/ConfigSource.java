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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

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

  /** The config documents as text (unreadable files are left to {@link #load}, which reports them). */
  List<ConfigText> texts() throws IOException {
    if (paths.isEmpty()) {
      return List.of(new ConfigText(DEFAULT_NAME, defaultConfigText()));
    }
    return readTexts(paths);
  }

  /** Files and directories (their {@code *.yaml}/{@code *.yml}, recursively, in name order) as text. */
  static List<ConfigText> readTexts(List<Path> paths) throws IOException {
    List<ConfigText> texts = new ArrayList<>();
    for (Path path : paths) {
      List<Path> files;
      if (Files.isDirectory(path)) {
        try (Stream<Path> walk = Files.walk(path)) {
          files =
              walk.filter(Files::isRegularFile)
                  .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                  .sorted()
                  .toList();
        }
      } else {
        files = List.of(path);
      }
      for (Path file : files) {
        try {
          texts.add(new ConfigText(file.toString(), Files.readString(file, StandardCharsets.UTF_8)));
        } catch (IOException e) {
          // reported by the policy loader, which reads the same files
        }
      }
    }
    return texts;
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
