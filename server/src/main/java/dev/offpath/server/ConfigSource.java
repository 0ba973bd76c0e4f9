package dev.offpath.server;

import static java.util.Objects.requireNonNull;

import dev.offpath.controlplane.ProxySpec;
import dev.offpath.controlplane.ProxySpecLoader;
import dev.offpath.core.config.ConfigDocuments;
import dev.offpath.core.config.ConfigError;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigText;
import dev.offpath.core.config.PolicyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where config comes from — the given files and directories, or the embedded default — and the one
 * way it is loaded, shared by {@code serve} (start and every reload) and {@code validate}: each
 * file is read and parsed once ({@link ConfigDocuments}), and the Mixer policy and the {@code
 * EnvoyProxy} declaration are compiled from those same documents, their errors reported together.
 */
final class ConfigSource {

  static final String DEFAULT_RESOURCE = "default-config.yaml";
  static final String DEFAULT_NAME = "embedded:" + DEFAULT_RESOURCE;

  /** The policy and the Envoy declaration of one load. */
  record Loaded(PolicyConfig policy, @Nullable ProxySpec proxy) {}

  private final ConfigLoader loader;
  private final ProxySpecLoader proxySpecs = new ProxySpecLoader();
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

  /**
   * Reads and compiles the config.
   *
   * @throws ConfigException listing every error of the policy and the Envoy declaration
   * @throws IOException when a directory cannot be listed
   */
  Loaded load() throws ConfigException, IOException {
    ConfigDocuments documents =
        paths.isEmpty()
            ? ConfigDocuments.parse(List.of(new ConfigText(DEFAULT_NAME, defaultConfigText())))
            : ConfigDocuments.read(paths);
    List<ConfigError> errors = new ArrayList<>();
    PolicyConfig policy = null;
    try {
      policy = loader.compile(documents);
    } catch (ConfigException e) {
      errors.addAll(e.errors());
    }
    ProxySpec proxy = null;
    try {
      proxy = proxySpecs.load(documents);
    } catch (ConfigException e) {
      errors.addAll(e.errors());
    }
    if (policy == null || !errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return new Loaded(policy, proxy);
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
