package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AdapterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Loads and validates Mixer YAML config into a {@link PolicyConfig}. */
public final class ConfigLoader {

  private final AdapterRegistry adapters;

  public ConfigLoader(AdapterRegistry adapters) {
    this.adapters = requireNonNull(adapters, "adapters");
  }

  /**
   * Loads files and directories (a directory: its {@code *.yaml}/{@code *.yml} files, recursively,
   * in name order).
   */
  public PolicyConfig load(List<Path> paths) throws ConfigException, IOException {
    throw new UnsupportedOperationException("not yet implemented" + paths + adapters);
  }

  /** Loads in-memory documents. */
  public PolicyConfig loadTexts(List<ConfigText> texts) throws ConfigException {
    throw new UnsupportedOperationException("not yet implemented" + texts + adapters);
  }
}
