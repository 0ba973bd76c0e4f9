package dev.offpath.server.tls;

import java.security.cert.CertificateException;

/** A client certificate the CA vouches for, but with no SAN on the allowed list. */
final class ClientSanRejectedException extends CertificateException {

  private static final long serialVersionUID = 1L;

  ClientSanRejectedException() {
    super("client certificate SAN not allowed");
  }
}
