package dev.offpath.core.rbac;

import static java.util.Objects.requireNonNull;

import java.util.Set;

/**
 * Where RBAC is enforced: the mesh-wide {@code RbacConfig} / {@code ClusterRbacConfig} named {@code
 * default}. {@code OFF} enforces nowhere, {@code ON} everywhere, {@code ON_WITH_INCLUSION} only for
 * the listed namespaces and services, {@code ON_WITH_EXCLUSION} everywhere but them. Services are
 * compared with the instance's {@code action.service} ({@code ratings.default.svc.cluster.local}),
 * namespaces with its {@code action.namespace}. {@code permissive} ({@code enforcementMode:
 * PERMISSIVE}) decides but always allows.
 */
public record RbacScope(
    Mode mode,
    Set<String> namespaces,
    Set<String> services,
    boolean permissive) {

  /** Istio's {@code RbacConfig.Mode}. */
  public enum Mode {
    OFF,
    ON,
    ON_WITH_INCLUSION,
    ON_WITH_EXCLUSION
  }

  /** No RbacConfig: the {@code rbac} handler enforces every instance dispatched to it, as Mixer's did. */
  public static final RbacScope ALWAYS = new RbacScope(Mode.ON, Set.of(), Set.of(), false);

  /**
   * @param namespaces the inclusion list's namespaces for ON_WITH_INCLUSION, the exclusion list's for
   *     ON_WITH_EXCLUSION, ignored otherwise
   * @param services likewise
   */
  public RbacScope {
    requireNonNull(mode, "mode");
    namespaces = Set.copyOf(namespaces);
    services = Set.copyOf(services);
  }

  /** Whether a request to {@code service} in {@code namespace} is subject to RBAC. */
  public boolean enforced(String namespace, String service) {
    return switch (mode) {
      case OFF -> false;
      case ON -> true;
      case ON_WITH_INCLUSION -> namespaces.contains(namespace) || services.contains(service);
      case ON_WITH_EXCLUSION -> !namespaces.contains(namespace) && !services.contains(service);
    };
  }
}
