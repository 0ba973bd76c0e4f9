package dev.offpath.adapters.rbac;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.rbac.RbacPolicy;
import dev.offpath.core.rbac.RbacPolicyConsumer;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Mixer's {@code rbac} adapter ({@code kind: rbac}, or {@code compiledAdapter: rbac}). Params as in
 * Istio 1.0: {@code config_store_url} (accepted and not used: roles and bindings come from
 * Offpath's own config files, and the loader says so in a warning) and {@code cache_duration}
 * (default 60s). The handler decides {@code authorization} instances against every {@code
 * ServiceRole} / {@code ServiceRoleBinding} of the config (README "RBAC").
 */
public final class RbacFactory
    implements AdapterFactory<RbacHandlerConfig>, RbacPolicyConsumer<RbacHandlerConfig> {

  static final Duration DEFAULT_CACHE_DURATION = Duration.ofSeconds(60);

  @Override
  public String name() {
    return "rbac";
  }

  @Override
  public Set<String> templates() {
    return Set.of("authorization");
  }

  @Override
  public RbacHandlerConfig parse(Params params) throws AdapterConfigException {
    requireNonNull(params, "params");
    String url = params.string("configStoreUrl");
    Duration cache = params.duration("cacheDuration", DEFAULT_CACHE_DURATION);
    if (cache.isNegative()) {
      throw params.invalid("cacheDuration", params.string("cacheDuration") + " (expected: >= 0)");
    }
    params.rejectUnknown();
    return new RbacHandlerConfig(cache, url, RbacPolicy.EMPTY);
  }

  @Override
  public List<String> warnings(RbacHandlerConfig config) {
    if (config.configStoreUrl() == null) {
      return List.of();
    }
    return List.of(
        "config_store_url '"
            + config.configStoreUrl()
            + "' is not used: ServiceRole and ServiceRoleBinding objects are read from Offpath's"
            + " config files");
  }

  @Override
  public RbacHandlerConfig withPolicy(RbacHandlerConfig parsed, RbacPolicy policy) {
    return new RbacHandlerConfig(parsed.cacheDuration(), parsed.configStoreUrl(), policy);
  }

  @Override
  public Handler create(RbacHandlerConfig config, AdapterEnvironment environment) {
    requireNonNull(config, "config");
    return new RbacHandler(
        environment.handlerName(), RbacStore.compile(config.policy()), config.cacheDuration());
  }
}
