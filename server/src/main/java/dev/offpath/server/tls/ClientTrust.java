package dev.offpath.server.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The server's check of a client certificate: the JDK's PKIX validation against the CA file's
 * certificates, then the {@link SanPolicy}. A certificate the CA does not vouch for fails with the
 * PKIX error; one with no allowed SAN with {@link ClientSanRejectedException}, so that the
 * handshake counter can tell the two apart. Immutable; one per loaded CA file.
 */
final class ClientTrust extends X509ExtendedTrustManager {

  private final X509ExtendedTrustManager pkix;
  private final SanPolicy sans;

  private ClientTrust(X509ExtendedTrustManager pkix, SanPolicy sans) {
    this.pkix = pkix;
    this.sans = sans;
  }

  static ClientTrust of(List<X509Certificate> cas, SanPolicy sans) throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    try {
      store.load(null, null);
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException("empty key store", e);
    }
    int i = 0;
    for (X509Certificate ca : cas) {
      store.setCertificateEntry("ca-" + i++, ca);
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    for (TrustManager tm : factory.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        return new ClientTrust(x, sans);
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager");
  }

  private void checkSans(X509Certificate[] chain) throws CertificateException {
    if (chain.length == 0 || !sans.allows(chain[0])) {
      throw new ClientSanRejectedException();
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    pkix.checkClientTrusted(chain, authType);
    checkSans(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    pkix.checkClientTrusted(chain, authType, socket);
    checkSans(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    pkix.checkClientTrusted(chain, authType, engine);
    checkSans(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("server-side trust manager");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("server-side trust manager");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("server-side trust manager");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return pkix.getAcceptedIssuers();
  }
}
