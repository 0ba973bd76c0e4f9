package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AdapterFactory;

/**
 * A validated handler: fully qualified name ({@code denyall.denier.istio-system} style is the
 * reference form, see {@link PolicyConfig}), its adapter and the adapter's parsed config.
 */
public record HandlerConfig(String name, AdapterFactory<?> adapter, Object adapterConfig, Source source) {

  public HandlerConfig {
    requireNonNull(name, "name");
    requireNonNull(adapter, "adapter");
    requireNonNull(adapterConfig, "adapterConfig");
    requireNonNull(source, "source");
  }
}
