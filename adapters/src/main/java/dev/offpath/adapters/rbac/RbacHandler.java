package dev.offpath.adapters.rbac;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AttributeCheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.Attributes;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running {@code rbac} handler: answers {@code authorization} instances from its {@link RbacStore},
 * compiled once when the handler is created (at config load; a reload that changes an RBAC object
 * creates a new handler). Allowed: OK; denied, for whatever reason (no role, no binding, a missing
 * action field): PERMISSION_DENIED {@code "RBAC: permission denied."}, as Mixer's adapter answered.
 * Either answer may be reused for {@code cache_duration} and 1,000,000,000 uses, Mixer's values.
 *
 * <p>Thread-safe and allocation-free per decision (the answers are constants).
 */
final class RbacHandler implements AttributeCheckHandler {

  private static final Logger log = LoggerFactory.getLogger(RbacHandler.class);

  /** Mixer's denial message, verbatim. */
  static final String DENIED_MESSAGE = "RBAC: permission denied.";

  /** Mixer's {@code ValidUseCount} for every rbac answer. */
  static final int VALID_USE_COUNT = 1_000_000_000;

  private final String name;
  private final RbacStore store;
  private final CheckResult allowed;
  private final CheckResult denied;

  RbacHandler(String name, RbacStore store, Duration cacheDuration) {
    this.name = requireNonNull(name, "name");
    this.store = requireNonNull(store, "store");
    this.allowed = CheckResult.ok(cacheDuration, VALID_USE_COUNT);
    this.denied =
        CheckResult.denied(
            StatusCode.PERMISSION_DENIED, DENIED_MESSAGE, cacheDuration, VALID_USE_COUNT);
  }

  @Override
  public CheckResult check(Instance instance, Attributes attributes) {
    RbacStore.Verdict v = store.check(instance, attributes);
    if (log.isDebugEnabled()) {
      log.debug("{}: instance '{}': {} ({})", name, instance.name(), v.allowed(), v.reason());
    }
    return v.allowed() ? allowed : denied;
  }
}
