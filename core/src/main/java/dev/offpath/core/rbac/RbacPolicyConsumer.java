package dev.offpath.core.rbac;

/**
 * Implemented by an {@link dev.offpath.core.adapter.AdapterFactory} whose handlers decide against the
 * config's RBAC objects (the {@code rbac} adapter). After the handler's params are parsed, the config
 * loader hands it the config's {@link RbacPolicy}; the result becomes the handler's config, so a
 * reload that changes a role re-creates the handler, and one that does not keeps it.
 *
 * @param <C> the factory's parsed config type
 */
public interface RbacPolicyConsumer<C> {

  /** {@code parsed} with {@code policy} attached. Pure. */
  C withPolicy(C parsed, RbacPolicy policy);
}
