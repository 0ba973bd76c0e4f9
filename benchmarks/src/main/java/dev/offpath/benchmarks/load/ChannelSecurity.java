package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * How the load client connects to a server's gRPC port on loopback: in plaintext, or over TLS
 * trusting one CA (the one {@link TlsFiles} generated for the run; the server's certificate names
 * {@code 127.0.0.1}, so the host name is verified as a client in a mesh would). Immutable.
 */
final class ChannelSecurity {

  static final ChannelSecurity PLAINTEXT = new ChannelSecurity(null, "plaintext");

  private final @Nullable SslContext ssl;
  private final String description;

  private ChannelSecurity(@Nullable SslContext ssl, String description) {
    this.ssl = ssl;
    this.description = description;
  }

  /** TLS (1.2+, ALPN h2, the shaded Netty's OpenSSL/BoringSSL or the JDK's) trusting {@code caCert}. */
  static ChannelSecurity tls(Path caCert) {
    requireNonNull(caCert, "caCert");
    try {
      SslContext ssl = GrpcSslContexts.forClient().trustManager(caCert.toFile()).build();
      return new ChannelSecurity(ssl, "TLS, client " + ssl.getClass().getSimpleName());
    } catch (IOException e) {
      throw new UncheckedIOException("TLS client context from " + caCert, e);
    }
  }

  /** A channel to {@code 127.0.0.1:port}; callbacks on the event loop when {@code direct}. */
  ManagedChannel channel(int port, boolean direct) {
    NettyChannelBuilder b = NettyChannelBuilder.forAddress("127.0.0.1", port);
    if (ssl == null) {
      b.usePlaintext();
    } else {
      b.sslContext(ssl);
    }
    if (direct) {
      b.directExecutor();
    }
    return b.build();
  }

  @Override
  public String toString() {
    return description;
  }
}
