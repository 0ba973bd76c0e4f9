package dev.offpath.core.remote;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A handler's {@code connection}: the adapter's gRPC target ({@code host:port}, or any gRPC target
 * such as {@code dns:///name:port}, resolved to every address), the per-call timeout ({@link
 * #DEFAULT_TIMEOUT} when the config gives none; Mixer had none) and the authentication (null =
 * plaintext). Two handlers with equal connections may share a channel; a reload that keeps a
 * handler's connection keeps its channel.
 */
public record RemoteConnection(
    String address, Duration timeout, @Nullable RemoteAuthentication authentication) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

  public RemoteConnection {
    requireNonNull(address, "address");
    requireNonNull(timeout, "timeout");
    if (address.isBlank()) {
      throw new IllegalArgumentException("address: empty");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
    }
  }
}
