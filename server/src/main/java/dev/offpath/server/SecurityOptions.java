package dev.offpath.server;

import static java.util.Objects.requireNonNull;

import dev.offpath.server.tls.TlsOptions;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The security flags of {@code offpath serve} (README "Security"): TLS on the gRPC port (null:
 * plaintext), the admin port's bearer token file (null: no token, which only a loopback admin
 * address may do), the telemetry port's address (null: the gRPC address), and the gRPC connection
 * limits.
 */
public record SecurityOptions(
    @Nullable TlsOptions tls,
    @Nullable Path adminTokenFile,
    @Nullable String telemetryAddress,
    ConnectionLimits limits) {

  /** Plaintext, no admin token, telemetry on the gRPC address, default limits. */
  public static final SecurityOptions DEFAULTS = new SecurityOptions(null, null, null, ConnectionLimits.DEFAULTS);

  public SecurityOptions {
    requireNonNull(limits, "limits");
  }

  public SecurityOptions withTls(@Nullable TlsOptions tls) {
    return new SecurityOptions(tls, adminTokenFile, telemetryAddress, limits);
  }

  public SecurityOptions withAdminTokenFile(@Nullable Path file) {
    return new SecurityOptions(tls, file, telemetryAddress, limits);
  }

  public SecurityOptions withLimits(ConnectionLimits limits) {
    return new SecurityOptions(tls, adminTokenFile, telemetryAddress, limits);
  }
}
