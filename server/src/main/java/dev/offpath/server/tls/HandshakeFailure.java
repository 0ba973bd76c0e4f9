package dev.offpath.server.tls;

import io.grpc.netty.shaded.io.netty.handler.ssl.NotSslRecordException;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Why a TLS handshake on the gRPC port failed: the {@code reason} label of {@code
 * offpath_tls_handshake_failures_total}. Classified from the exception Netty reports, whichever
 * provider (BoringSSL or the JDK) made it; the words matched are those both providers use.
 */
public enum HandshakeFailure {
  /** The client spoke something other than TLS (plaintext HTTP/2, say). */
  NOT_TLS("not_tls"),
  /** mTLS is on and the client sent no certificate. */
  CLIENT_CERTIFICATE_MISSING("client_certificate_missing"),
  /** The client's certificate does not chain to the CA (or is expired, or malformed). */
  CLIENT_CERTIFICATE_UNTRUSTED("client_certificate_untrusted"),
  /** The client's certificate is trusted, but none of its URI/DNS SANs is allowed. */
  CLIENT_SAN_NOT_ALLOWED("client_san_not_allowed"),
  /** No common protocol version or cipher (TLS 1.0/1.1 clients, say). */
  PROTOCOL("protocol"),
  /** The handshake completed without ALPN {@code h2}, which gRPC needs. */
  NO_H2("no_h2"),
  /** The client did not finish the handshake in time. */
  TIMEOUT("timeout"),
  /** The connection closed during the handshake. */
  CLOSED("closed"),
  OTHER("other");

  private final String label;

  HandshakeFailure(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  static HandshakeFailure classify(@Nullable Throwable failure) {
    boolean certificate = false;
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ClientSanRejectedException) {
        return CLIENT_SAN_NOT_ALLOWED;
      }
      if (t instanceof NotSslRecordException) {
        return NOT_TLS;
      }
      if (t instanceof SslHandshakeTimeoutException) {
        return TIMEOUT;
      }
      if (t instanceof CertificateException || t instanceof CertPathValidatorException) {
        certificate = true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    String text = messages(failure);
    if (text.contains("peer_did_not_return_a_certificate")
        || text.contains("empty client certificate chain")
        || text.contains("certificate_required")
        || text.contains("certificate required")) {
      return CLIENT_CERTIFICATE_MISSING;
    }
    if (certificate
        || text.contains("certificate_verify_failed")
        || text.contains("pkix path")
        || text.contains("bad_certificate")
        || text.contains("certificate_unknown")) {
      return CLIENT_CERTIFICATE_UNTRUSTED;
    }
    if (text.contains("protocol_version")
        || text.contains("unsupported_protocol")
        || text.contains("no_protocols_available")
        || text.contains("no appropriate protocol")
        || text.contains("wrong_version_number")
        || text.contains("no_shared_cipher")
        || text.contains("no cipher suites in common")
        || text.contains("handshake_failure")) {
      return PROTOCOL;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ClosedChannelException) {
        return CLOSED;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    if (text.contains("closed")) {
      return CLOSED;
    }
    return OTHER;
  }

  private static String messages(@Nullable Throwable failure) {
    StringBuilder b = new StringBuilder();
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 10; t = t.getCause(), depth++) {
      if (t.getMessage() != null) {
        b.append(t.getMessage()).append('\n');
      }
    }
    return b.toString().toLowerCase(Locale.ROOT);
  }
}
