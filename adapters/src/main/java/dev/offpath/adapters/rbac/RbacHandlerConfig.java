package dev.offpath.adapters.rbac;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.rbac.RbacPolicy;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * An {@code rbac} handler's parsed params plus the config's RBAC objects (see {@link
 * dev.offpath.core.rbac.RbacPolicyConsumer}).
 *
 * @param cacheDuration how long an answer may be served from the check cache ({@code
 *     cache_duration}, Mixer's default 60s)
 * @param configStoreUrl as written, or null; roles always come from Offpath's own config files
 */
record RbacHandlerConfig(Duration cacheDuration, @Nullable String configStoreUrl, RbacPolicy policy) {

  RbacHandlerConfig {
    requireNonNull(cacheDuration, "cacheDuration");
    requireNonNull(policy, "policy");
  }
}
