package dev.offpath.core.remote;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * A handler's {@code connection.authentication} (Mixer's {@code policy.v1beta1.Authentication}):
 * {@link Tls} (server-authenticated TLS, optionally with a token read from a file) or {@link Mutual}
 * (mutual TLS). Paths are files read when the channel is built, never logged with their contents.
 */
public sealed interface RemoteAuthentication {

  /** How a {@link Tls} token is sent: {@code authorization: Bearer <token>} or as is. */
  enum AuthHeader {
    PLAIN,
    BEARER
  }

  /**
   * {@code authentication.tls}: {@code ca_certificates}, {@code token_path} sent in {@code
   * authorization} per {@code auth_header} or in {@code custom_header}, {@code server_name} (the
   * name the server's certificate is checked against; empty = the address's host).
   */
  record Tls(
      String caCertificates,
      @Nullable String tokenPath,
      AuthHeader authHeader,
      @Nullable String customHeader,
      @Nullable String serverName)
      implements RemoteAuthentication {
    public Tls {
      requireNonNull(caCertificates, "caCertificates");
      requireNonNull(authHeader, "authHeader");
    }
  }

  /**
   * {@code authentication.mutual}: {@code private_key}, {@code client_certificate}, {@code
   * ca_certificates} (PEM file paths) and {@code server_name}.
   */
  record Mutual(
      String privateKey,
      String clientCertificate,
      String caCertificates,
      @Nullable String serverName)
      implements RemoteAuthentication {
    public Mutual {
      requireNonNull(privateKey, "privateKey");
      requireNonNull(clientCertificate, "clientCertificate");
      requireNonNull(caCertificates, "caCertificates");
    }
  }
}
