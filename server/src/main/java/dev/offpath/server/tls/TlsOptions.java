package dev.offpath.server.tls;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The gRPC port's TLS: the server's certificate chain and key (PEM), and optionally the CA that
 * client certificates must chain to (mTLS) and the SANs allowed to call ({@link SanPolicy}).
 */
public record TlsOptions(
    Path certFile, Path keyFile, @Nullable Path clientCaFile, List<String> allowedClientSans) {

  public TlsOptions {
    requireNonNull(certFile, "certFile");
    requireNonNull(keyFile, "keyFile");
    allowedClientSans = List.copyOf(allowedClientSans);
    if (clientCaFile == null && !allowedClientSans.isEmpty()) {
      throw new IllegalArgumentException(
          "--tls-allowed-client-san needs --tls-client-ca-file (client certificates are only asked for with a CA)");
    }
    new SanPolicy(allowedClientSans); // validates the patterns
  }

  /**
   * TLS from the CLI's flags: null when neither file is given; both or neither.
   *
   * @throws IllegalArgumentException when only one of the pair is given, or client flags without TLS
   */
  public static @Nullable TlsOptions fromFlags(
      @Nullable Path certFile,
      @Nullable Path keyFile,
      @Nullable Path clientCaFile,
      List<String> allowedClientSans) {
    if (certFile == null && keyFile == null) {
      if (clientCaFile != null || !allowedClientSans.isEmpty()) {
        throw new IllegalArgumentException(
            "--tls-client-ca-file and --tls-allowed-client-san need --tls-cert-file and --tls-key-file");
      }
      return null;
    }
    if (certFile == null || keyFile == null) {
      throw new IllegalArgumentException(
          "--tls-cert-file and --tls-key-file go together (got only " + (certFile == null ? "--tls-key-file" : "--tls-cert-file") + ")");
    }
    return new TlsOptions(certFile, keyFile, clientCaFile, allowedClientSans);
  }

  /** Every file the TLS material is read from, for the watcher. */
  public List<Path> files() {
    return clientCaFile == null ? List.of(certFile, keyFile) : List.of(certFile, keyFile, clientCaFile);
  }
}
