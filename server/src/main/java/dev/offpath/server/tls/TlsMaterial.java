package dev.offpath.server.tls;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * One consistent load of the TLS files: the key, its certificate chain (the key checked to match
 * the leaf's public key by signing and verifying), and the client trust when mTLS is on. Immutable;
 * a rotation builds a new one and swaps it in whole, never a part.
 */
record TlsMaterial(PrivateKey key, List<X509Certificate> chain, @Nullable ClientTrust clientTrust) {

  /** TLS 1.2 and 1.3 only. */
  static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  static TlsMaterial load(TlsOptions options) throws TlsMaterialException {
    List<X509Certificate> chain = PemFiles.certificates(options.certFile());
    PrivateKey key = PemFiles.privateKey(options.keyFile());
    if (!matches(key, chain.get(0).getPublicKey())) {
      throw new TlsMaterialException(
          options.keyFile() + ": the key does not match the certificate in " + options.certFile());
    }
    ClientTrust trust = null;
    if (options.clientCaFile() != null) {
      List<X509Certificate> cas = PemFiles.certificates(options.clientCaFile());
      try {
        trust = ClientTrust.of(cas, new SanPolicy(options.allowedClientSans()));
      } catch (GeneralSecurityException e) {
        throw new TlsMaterialException(options.clientCaFile() + ": cannot be used as a CA (" + e.getMessage() + ")", e);
      }
    }
    return new TlsMaterial(key, chain, trust);
  }

  /** The gRPC port's context: the shaded Netty's default provider (BoringSSL when it loads), ALPN h2. */
  SslContext nettyContext() throws TlsMaterialException {
    SslContextBuilder builder =
        GrpcSslContexts.configure(SslContextBuilder.forServer(key, chain)).protocols(PROTOCOLS);
    if (clientTrust != null) {
      builder.trustManager(clientTrust).clientAuth(ClientAuth.REQUIRE);
    }
    try {
      return builder.build();
    } catch (SSLException e) {
      throw new TlsMaterialException("TLS context refused the certificate and key (" + e.getMessage() + ")", e);
    }
  }

  private static boolean matches(PrivateKey key, PublicKey pub) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> "";
        };
    if (algorithm.isEmpty()) {
      return false;
    }
    try {
      byte[] probe = "offpath key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(pub);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
