package dev.offpath.server;

import dev.offpath.server.admin.AdminAuth;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.jspecify.annotations.Nullable;

/**
 * Who may reach the admin port (README "Security"). It serves the live config and every metric, so
 * it binds to loopback by default; any other address needs TLS ({@code --tls-cert-file}/{@code
 * --tls-key-file}, served as HTTPS there) and a bearer token ({@code --admin-token-file}), or the
 * server refuses to start. A token file on loopback is honoured too.
 */
final class AdminAccess {

  private AdminAccess() {}

  /** Whether {@code address} is a loopback address; a name is resolved once. */
  static boolean isLoopback(String address) {
    try {
      return InetAddress.getByName(address).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--admin-address " + address + ": unknown host");
    }
  }

  /**
   * Checks the admin exposure and reads the token.
   *
   * @return the authentication filter, or null when no token file is given (loopback only)
   * @throws IllegalArgumentException when a non-loopback address lacks TLS or a token, one line
   */
  static @Nullable AdminAuth check(String adminAddress, SecurityOptions security) {
    boolean loopback = isLoopback(adminAddress);
    if (!loopback && (security.tls() == null || security.adminTokenFile() == null)) {
      throw new IllegalArgumentException(
          "--admin-address "
              + adminAddress
              + " is not loopback: the admin port (/config, /metrics) then needs TLS (--tls-cert-file, --tls-key-file) and --admin-token-file; missing: "
              + (security.tls() == null ? "TLS" : "")
              + (security.tls() == null && security.adminTokenFile() == null ? " and " : "")
              + (security.adminTokenFile() == null ? "--admin-token-file" : ""));
    }
    return security.adminTokenFile() == null ? null : AdminAuth.fromFile(security.adminTokenFile());
  }
}
