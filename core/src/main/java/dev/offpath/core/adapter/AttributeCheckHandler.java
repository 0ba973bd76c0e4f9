package dev.offpath.core.adapter;

import dev.offpath.core.attribute.Attributes;

/**
 * A check handler that reads request attributes itself, beyond its instance's fields (the {@code
 * rbac} adapter evaluates the keys of Istio 1.0's RBAC objects as attribute lookups). The runtime
 * passes the bag the decision is made from; when the check cache is on, that bag records every read,
 * so the answer is cached by exactly the attributes the handler looked at. Must not block;
 * thread-safe.
 */
public interface AttributeCheckHandler extends CheckHandler {

  /** Decides on one instance, reading further attributes from {@code attributes} as needed. */
  CheckResult check(Instance instance, Attributes attributes);

  /** Decides with no attributes beyond the instance's fields. */
  @Override
  default CheckResult check(Instance instance) {
    return check(instance, Attributes.empty());
  }
}
