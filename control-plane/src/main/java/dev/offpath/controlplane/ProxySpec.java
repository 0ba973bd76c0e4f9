package dev.offpath.controlplane;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What Envoy should look like, declared in Offpath's config as one {@code kind: EnvoyProxy} object
 * ({@link ProxySpecLoader}): a listener, which front door enforces policy, which one reports
 * telemetry, and the upstream services routed by path prefix. Immutable.
 *
 * @param name the object's metadata.name, for logs
 * @param failureModeAllow when Offpath cannot be reached: true lets requests through, false (the
 *     default) fails them
 */
public record ProxySpec(
    String name,
    String listenerAddress,
    int listenerPort,
    PolicyFilter policy,
    TelemetryFilter telemetry,
    boolean failureModeAllow,
    List<Service> services) {

  /** Which filter asks Offpath for a decision (YAML: the name in lower case). */
  public enum PolicyFilter {
    EXT_AUTHZ,
    EXT_PROC,
    NONE
  }

  /** Which filter hands Offpath each finished request (YAML: the name in lower case). */
  public enum TelemetryFilter {
    ACCESS_LOG,
    EXT_PROC,
    NONE
  }

  /** An upstream: requests whose path starts with {@code prefix} go to {@code address:port}. */
  public record Service(String name, String address, int port, String prefix) {
    public Service {
      requireNonNull(name, "name");
      requireNonNull(address, "address");
      requireNonNull(prefix, "prefix");
    }
  }

  public ProxySpec {
    requireNonNull(name, "name");
    requireNonNull(listenerAddress, "listenerAddress");
    requireNonNull(policy, "policy");
    requireNonNull(telemetry, "telemetry");
    services = List.copyOf(services);
  }
}
