package dev.offpath.server.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/**
 * A JDK key manager serving the current {@link TlsMaterial}'s key and chain, for the admin port's
 * {@code HttpsServer}: a rotation swaps the material and the next handshake uses it. One alias;
 * thread-safe (one volatile read per call).
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {

  private static final String ALIAS = "offpath";

  private volatile TlsMaterial material;

  ReloadingKeyManager(TlsMaterial material) {
    this.material = material;
  }

  void swap(TlsMaterial next) {
    material = next;
  }

  private @Nullable String alias(String keyType) {
    String algorithm = material.key().getAlgorithm();
    return keyType.equalsIgnoreCase(algorithm)
            || (keyType.startsWith("EC") && algorithm.equals("EC"))
            || (keyType.equalsIgnoreCase("RSASSA-PSS") && algorithm.equals("RSA"))
        ? ALIAS
        : null;
  }

  @Override
  public @Nullable String chooseServerAlias(String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return alias(keyType);
  }

  @Override
  public @Nullable String chooseEngineServerAlias(String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return alias(keyType);
  }

  @Override
  public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
    return alias(keyType) == null ? null : new String[] {ALIAS};
  }

  @Override
  public X509Certificate @Nullable [] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? material.chain().toArray(new X509Certificate[0]) : null;
  }

  @Override
  public @Nullable PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? material.key() : null;
  }

  @Override
  public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
    return null;
  }

  @Override
  public @Nullable String chooseClientAlias(String[] keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return null;
  }
}
