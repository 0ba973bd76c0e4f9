package dev.offpath.remote;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.remote.RemoteAuthentication;
import dev.offpath.core.remote.RemoteConnection;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * The process's gRPC channels to out-of-process adapters, one per (handler name, connection),
 * reference-counted: a reload that builds a handler again with the same connection gets the same
 * channel (the new handler acquires it before the old one is closed), a changed connection gets a
 * new one, and a channel no handler holds is shut down (calls in flight finish first).
 *
 * <p>Channels: any gRPC target ({@code host:port}, {@code dns:///name:port}) with {@code
 * round_robin} over every address the name resolves to (Mixer's single connection starved
 * adapter replicas); keepalive pings after {@value #KEEPALIVE_SECONDS} s without reads while calls
 * are open (calls are shorter than that, so a Go server's default ping policy is never hit);
 * gRPC's reconnect backoff. {@code authentication.tls}: the CA file to trust, {@code server_name}
 * as the authority, and the token file's content sent with every call ({@code authorization:
 * Bearer <token>} or as is, or in {@code custom_header}); the token is read again when the file
 * changes, at most every {@value #TOKEN_RECHECK_SECONDS} s. {@code authentication.mutual}: the
 * client certificate and its PKCS#8 key, the CA, {@code server_name}.
 *
 * <p>Thread-safe (one lock around the table; channels are built under it, which reads the
 * certificate files: config-thread work).
 */
public final class ChannelRegistry {

  static final int KEEPALIVE_SECONDS = 30;
  static final int TOKEN_RECHECK_SECONDS = 5;
  static final int MAX_TOKEN_BYTES = 64 * 1024;

  /** The registry handlers use. */
  public static final ChannelRegistry SHARED = new ChannelRegistry();

  private record Key(String handler, RemoteConnection connection) {}

  private final class Entry {
    final Key key;
    final ManagedChannel channel;
    final Channel intercepted;
    int references;

    Entry(Key key, ManagedChannel channel, Channel intercepted) {
      this.key = key;
      this.channel = channel;
      this.intercepted = intercepted;
    }
  }

  private final Map<Key, Entry> channels = new HashMap<>();

  /** A handler's hold on a channel; {@link #close} once. */
  public final class Lease implements AutoCloseable {
    private final Entry entry;
    private boolean closed;

    private Lease(Entry entry) {
      this.entry = entry;
    }

    /** The channel to call on (with the token interceptor when the connection has one). */
    public Channel channel() {
      return entry.intercepted;
    }

    /** The channel itself, for its identity and state. */
    public ManagedChannel managedChannel() {
      return entry.channel;
    }

    @Override
    public void close() {
      synchronized (ChannelRegistry.this) {
        if (closed) {
          return;
        }
        closed = true;
        if (--entry.references == 0) {
          channels.remove(entry.key);
          entry.channel.shutdown();
        }
      }
    }
  }

  /**
   * Takes a reference to the channel of {@code handler}'s {@code connection}, building it if none.
   *
   * @throws IllegalArgumentException when a certificate, key or token file cannot be used
   */
  public synchronized Lease acquire(String handler, RemoteConnection connection) {
    Key key = new Key(requireNonNull(handler, "handler"), requireNonNull(connection, "connection"));
    Entry e = channels.get(key);
    if (e == null) {
      ManagedChannel channel = build(connection);
      Channel intercepted = channel;
      if (connection.authentication() instanceof RemoteAuthentication.Tls tls
          && tls.tokenPath() != null) {
        intercepted = ClientInterceptors.intercept(channel, new TokenInterceptor(tls));
      }
      e = new Entry(key, channel, intercepted);
      channels.put(key, e);
    }
    e.references++;
    return new Lease(e);
  }

  /** Channels open now. */
  public synchronized int size() {
    return channels.size();
  }

  private static ManagedChannel build(RemoteConnection connection) {
    NettyChannelBuilder b =
        NettyChannelBuilder.forTarget(connection.address())
            .defaultLoadBalancingPolicy("round_robin")
            .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
            .keepAliveTimeout(10, TimeUnit.SECONDS)
            .maxInboundMessageSize(4 << 20);
    RemoteAuthentication auth = connection.authentication();
    try {
      switch (auth) {
        case null -> b.negotiationType(NegotiationType.PLAINTEXT);
        case RemoteAuthentication.Tls tls -> {
          SslContextBuilder ssl =
              GrpcSslContexts.forClient().trustManager(readable("ca_certificates", tls.caCertificates()));
          b.sslContext(ssl.build()).negotiationType(NegotiationType.TLS);
          if (tls.tokenPath() != null) {
            readToken(tls.tokenPath()); // fail at load, not at the first call
          }
          authority(b, tls.serverName());
        }
        case RemoteAuthentication.Mutual m -> {
          SslContextBuilder ssl =
              GrpcSslContexts.forClient()
                  .trustManager(readable("ca_certificates", m.caCertificates()))
                  .keyManager(
                      readable("client_certificate", m.clientCertificate()),
                      readable("private_key", m.privateKey()));
          b.sslContext(ssl.build()).negotiationType(NegotiationType.TLS);
          authority(b, m.serverName());
        }
      }
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "connection to " + connection.address() + ": " + e.getMessage(), e);
    }
    return b.build();
  }

  private static void authority(NettyChannelBuilder b, @Nullable String serverName) {
    if (serverName != null && !serverName.isEmpty()) {
      b.overrideAuthority(serverName);
    }
  }

  private static File readable(String what, String path) {
    Path p = Path.of(path);
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw new IllegalArgumentException(what + ": " + path + " is not a readable file");
    }
    return p.toFile();
  }

  static String readToken(String path) {
    byte[] bytes;
    try (var in = Files.newInputStream(Path.of(path))) {
      bytes = in.readNBytes(MAX_TOKEN_BYTES + 1);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "token_path: " + path + ": cannot read (" + e.getClass().getSimpleName() + ")");
    }
    if (bytes.length > MAX_TOKEN_BYTES) {
      throw new IllegalArgumentException(
          "token_path: " + path + ": longer than " + MAX_TOKEN_BYTES + " bytes");
    }
    String token = new String(bytes, StandardCharsets.UTF_8).strip();
    if (token.isEmpty()) {
      throw new IllegalArgumentException("token_path: " + path + ": empty");
    }
    return token;
  }

  /** Sends the token file's content with every call; rereads it when it changes. */
  private static final class TokenInterceptor implements ClientInterceptor {
    private final Metadata.Key<String> header;
    private final String prefix;
    private final String path;
    private volatile String token;
    private volatile long checkedAt = System.nanoTime();
    private volatile long modified;

    TokenInterceptor(RemoteAuthentication.Tls tls) {
      String custom = tls.customHeader();
      boolean useCustom = custom != null && !custom.isEmpty();
      this.header =
          Metadata.Key.of(useCustom ? custom : "authorization", Metadata.ASCII_STRING_MARSHALLER);
      this.prefix =
          !useCustom && tls.authHeader() == RemoteAuthentication.AuthHeader.BEARER ? "Bearer " : "";
      this.path = requireNonNull(tls.tokenPath());
      this.modified = modified(path);
      this.token = readToken(path);
    }

    private static long modified(String path) {
      try {
        return Files.getLastModifiedTime(Path.of(path)).toMillis();
      } catch (IOException e) {
        return 0;
      }
    }

    private String token() {
      long now = System.nanoTime();
      if (now - checkedAt > TimeUnit.SECONDS.toNanos(TOKEN_RECHECK_SECONDS)) {
        checkedAt = now;
        long m = modified(path);
        if (m != modified) {
          try {
            token = readToken(path);
            modified = m;
          } catch (IllegalArgumentException e) {
            // Keep the last good token: a rotation is being written.
          }
        }
      }
      return token;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(
        MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          headers.put(header, prefix + token());
          super.start(listener, headers);
        }
      };
    }
  }
}
