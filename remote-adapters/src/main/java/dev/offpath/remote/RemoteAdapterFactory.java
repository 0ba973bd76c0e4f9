package dev.offpath.remote;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.remote.RemoteHandlerConfig;
import java.util.Set;

/**
 * Runs handlers of out-of-process adapters ({@link RemoteHandlerConfig#FACTORY_NAME}): the config
 * compiler builds their {@link RemoteHandlerConfig} from {@code kind: template}, {@code kind:
 * adapter} and the handler's {@code connection} (README "Out-of-process adapters"), so there are
 * no params to parse here. Templates are per adapter, not per factory: {@link #templates} is
 * empty and the compiler checks an instance's template against the adapter's {@code templates}.
 */
public final class RemoteAdapterFactory implements AdapterFactory<RemoteHandlerConfig> {

  private final ChannelRegistry registry;

  public RemoteAdapterFactory() {
    this(ChannelRegistry.SHARED);
  }

  /** With its own channel registry (tests). */
  RemoteAdapterFactory(ChannelRegistry registry) {
    this.registry = requireNonNull(registry, "registry");
  }

  @Override
  public String name() {
    return RemoteHandlerConfig.FACTORY_NAME;
  }

  @Override
  public Set<String> templates() {
    return Set.of();
  }

  @Override
  public RemoteHandlerConfig parse(Params params) throws AdapterConfigException {
    throw params.invalid(
        "",
        "handlers of out-of-process adapters are configured with spec.adapter and spec.connection"
            + " (kind: adapter), not compiledAdapter " + RemoteHandlerConfig.FACTORY_NAME);
  }

  /**
   * @throws IllegalArgumentException when the connection's certificate, key or token files cannot
   *     be used, or a template cannot be dispatched
   */
  @Override
  public Handler create(RemoteHandlerConfig config, AdapterEnvironment environment) {
    return new RemoteHandler(config, environment, registry);
  }
}
