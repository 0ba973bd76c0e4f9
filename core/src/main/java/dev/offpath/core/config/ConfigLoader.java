package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AdapterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads and validates Mixer YAML config into a {@link PolicyConfig}: the front of the config
 * compiler.
 *
 * <p>Input is multi-document YAML as Istio 1.0 and 1.1 wrote it, under {@code apiVersion:
 * config.istio.io/v1alpha2} (the generic kinds also under {@code policy.istio.io/v1beta1}). Which
 * files a path stands for is {@link ConfigFiles}' rule; each file is read and parsed once ({@link
 * ConfigDocuments}); each kind of object has its compiler ({@link ManifestCompiler}, {@link
 * HandlerCompiler}, {@link InstanceCompiler}, {@link RuleCompiler}, …), run in dependency order by
 * {@link PolicyCompiler}, which also says what is skipped with a warning.
 *
 * <p>Naming: see {@link PolicyConfig} and {@link References}. An object without {@code
 * metadata.namespace} is in {@code istio-system}, Mixer's default config namespace.
 *
 * <p>Validation goes on past the first error: {@link ConfigException} lists every error in file
 * order, each as {@code file:line: message}. Files are named as given; line 0 stands for a whole
 * file that could not be read.
 *
 * <p>Thread-safe: each call works on its own state.
 */
public final class ConfigLoader {

  private final AdapterRegistry adapters;

  public ConfigLoader(AdapterRegistry adapters) {
    this.adapters = requireNonNull(adapters, "adapters");
  }

  /**
   * Loads files and directories ({@link ConfigFiles#list}).
   *
   * @throws IOException when a directory cannot be listed
   */
  public PolicyConfig load(List<Path> paths) throws ConfigException, IOException {
    return compile(ConfigDocuments.read(requireNonNull(paths, "paths")));
  }

  /** Loads in-memory documents. */
  public PolicyConfig loadTexts(List<ConfigText> texts) throws ConfigException {
    return compile(ConfigDocuments.parse(requireNonNull(texts, "texts")));
  }

  /** Compiles documents already read, reporting their read errors with the rest. */
  public PolicyConfig compile(ConfigDocuments documents) throws ConfigException {
    return new PolicyCompiler(adapters).compile(requireNonNull(documents, "documents"));
  }
}
