package dev.offpath.core.adapter;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The adapters a config may name, by adapter name. {@link #installed()} finds them with {@link
 * ServiceLoader}; tests build one from explicit factories.
 */
public final class AdapterRegistry {

  /**
   * Mixer adapters Offpath knows of but does not run (or not yet): a handler naming one loads with a
   * warning and the rules' actions that use it are skipped.
   */
  public static final Set<String> KNOWN_UNSUPPORTED =
      Set.of(
          "kubernetesenv",
          "stackdriver",
          "fluentd",
          "statsd",
          "circonus",
          "cloudwatch",
          "datadog",
          "dogstatsd",
          "opa",
          "signalfx",
          "solarwinds",
          "zipkin",
          "apigee",
          "bypass",
          "noop",
          "kubernetes",
          "servicecontrol");

  private final Map<String, AdapterFactory<?>> byName;

  private AdapterRegistry(Map<String, AdapterFactory<?>> byName) {
    this.byName = byName;
  }

  public static AdapterRegistry of(List<? extends AdapterFactory<?>> factories) {
    Map<String, AdapterFactory<?>> map = new LinkedHashMap<>();
    for (AdapterFactory<?> f : factories) {
      AdapterFactory<?> prior = map.put(requireNonNull(f.name(), "name"), f);
      if (prior != null) {
        throw new IllegalArgumentException("adapter '" + f.name() + "' registered twice");
      }
    }
    return new AdapterRegistry(Map.copyOf(map));
  }

  /** Every factory on the class path ({@code META-INF/services}). */
  @SuppressWarnings("rawtypes")
  public static AdapterRegistry installed() {
    List<AdapterFactory<?>> list = new java.util.ArrayList<>();
    for (AdapterFactory f : ServiceLoader.load(AdapterFactory.class)) {
      list.add(f);
    }
    return of(list);
  }

  public @Nullable AdapterFactory<?> find(String name) {
    return byName.get(name);
  }

  public Set<String> names() {
    return byName.keySet();
  }

  /** The factory's warnings about a config it parsed earlier. */
  @SuppressWarnings("unchecked")
  public static <C> List<String> warnings(AdapterFactory<C> factory, Object config) {
    return factory.warnings((C) config);
  }

  /** Creates a handler from a factory and the config it parsed earlier. */
  @SuppressWarnings("unchecked")
  public static <C> Handler create(
      AdapterFactory<C> factory, Object config, AdapterEnvironment environment) {
    return factory.create((C) config, environment);
  }
}
