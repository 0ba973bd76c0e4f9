package dev.offpath.server.tls;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.log.RateLimitedLog;
import dev.offpath.server.watch.ConfigWatcher;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for the gRPC port (and the admin port's TLS), from PEM files, rotated without a restart.
 *
 * <p>What: {@link #start} loads the files (a bad pair at start is fatal: {@link
 * TlsMaterialException}, the message names the file), builds the shaded Netty's context (BoringSSL
 * through netty-tcnative when the platform's library loads, which the shaded jar ships for Linux and
 * macOS on x86_64 and aarch64; the JDK's provider otherwise: {@link #provider()}), TLS 1.2/1.3, ALPN
 * {@code h2}, client certificates required when a CA is given, and watches the files.
 *
 * <p>Rotation: on a change (cert-manager and Istio's agent rewrite the files, a Kubernetes secret
 * swaps a symlink) the files are loaded again; a good load is swapped in whole ({@link
 * ReloadingSslContext}, {@link ReloadingKeyManager}): new connections use it, established ones keep
 * theirs. A bad load (unreadable, key not matching the certificate — as when a writer has replaced
 * one file of the pair but not yet the other) is logged and counted, and the last good material
 * keeps serving; the next change tries again.
 *
 * <p>Counted: {@code offpath_tls_handshake_failures_total{reason}} ({@link HandshakeFailure}) and
 * {@code offpath_tls_reloads_total{result="success"|"failure"}}. Threads: reloads run on the
 * watcher's thread (serialised); handshakes on the event loops.
 */
public final class ServerTls implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

  private final TlsOptions options;
  private final TlsStats stats = new TlsStats();
  private final ReloadingSslContext context;
  private final ReloadingKeyManager keyManager;
  private final RateLimitedLog handshakeLog = RateLimitedLog.of(log);
  private volatile TlsMaterial material;
  private @Nullable ConfigWatcher watcher;

  private ServerTls(TlsOptions options, TlsMaterial material, SslContext initial) {
    this.options = options;
    this.material = material;
    this.context = new ReloadingSslContext(initial);
    this.keyManager = new ReloadingKeyManager(material);
  }

  /**
   * Loads the files and, when {@code watch}, watches them.
   *
   * @throws TlsMaterialException when the files cannot be used; the message names the file
   */
  public static ServerTls start(TlsOptions options, boolean watch) throws TlsMaterialException, IOException {
    requireNonNull(options, "options");
    TlsMaterial material = TlsMaterial.load(options);
    ServerTls tls = new ServerTls(options, material, material.nettyContext());
    if (watch) {
      tls.watcher = ConfigWatcher.builder(options.files(), tls::reloadLogged).debounce(Duration.ofMillis(200)).start();
    }
    log.info(
        "TLS on: provider {}, certificate {}, client certificates {}",
        provider(),
        describe(material.chain().get(0)),
        options.clientCaFile() == null
            ? "not asked for"
            : "required (CA " + options.clientCaFile() + ", SANs " + (options.allowedClientSans().isEmpty() ? "any" : options.allowedClientSans()) + ")");
    return tls;
  }

  /** {@code BoringSSL (...)} when netty-tcnative loaded, else {@code JDK}. */
  public static String provider() {
    return SslContext.defaultServerProvider() == SslProvider.OPENSSL
        ? "BoringSSL (" + OpenSsl.versionString() + ")"
        : "JDK";
  }

  /** The gRPC server's credentials: grpc's TLS negotiator over the rotating context, counting refusals. */
  public ServerCredentials credentials() {
    return InternalNettyServerCredentials.create(
        new CountingTlsNegotiator(InternalProtocolNegotiators.serverTls(context), stats, handshakeLog));
  }

  /** A JDK context with the same (rotating) key and certificate, for the admin port. No client certificates. */
  public SSLContext adminContext() {
    try {
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(new KeyManager[] {keyManager}, null, null);
      return ssl;
    } catch (NoSuchAlgorithmException | KeyManagementException e) {
      throw new IllegalStateException("JDK TLS unavailable", e);
    }
  }

  /**
   * Loads the files again and installs them when good. Returns whether it did; a failure is logged
   * and counted and the last good material keeps serving.
   */
  public boolean reload() {
    TlsMaterial next;
    SslContext nextContext;
    try {
      next = TlsMaterial.load(options);
      nextContext = next.nettyContext();
    } catch (TlsMaterialException e) {
      stats.rejected();
      log.warn(
          "TLS reload rejected, still serving certificate {}: {}",
          describe(material.chain().get(0)),
          e.getMessage());
      return false;
    }
    material = next;
    context.swap(nextContext);
    keyManager.swap(next);
    stats.reloaded();
    log.info("TLS reloaded: certificate {}", describe(next.chain().get(0)));
    return true;
  }

  private void reloadLogged() {
    reload();
  }

  /** Watches the files now (the watcher's thread); for tests and for callers that know of a change. */
  public boolean pollNow() throws InterruptedException {
    return watcher != null && watcher.pollNow();
  }

  /** The leaf certificate serving new connections now. */
  public X509Certificate certificate() {
    return material.chain().get(0);
  }

  public TlsStats stats() {
    return stats;
  }

  public void register(PrometheusRegistry registry) {
    CounterWithCallback.builder()
        .name("offpath_tls_handshake_failures")
        .help("TLS handshakes on the gRPC port that were refused or failed, by reason.")
        .labelNames("reason")
        .callback(
            cb -> {
              for (HandshakeFailure f : HandshakeFailure.values()) {
                cb.call(stats.failures(f), f.label());
              }
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("offpath_tls_reloads")
        .help("Certificate reloads after the files changed, by result; a failure keeps the last good pair.")
        .labelNames("result")
        .callback(
            cb -> {
              cb.call(stats.reloads(), "success");
              cb.call(stats.rejectedReloads(), "failure");
            })
        .register(registry);
  }

  private static String describe(X509Certificate cert) {
    return "'" + cert.getSubjectX500Principal().getName() + "' (serial " + cert.getSerialNumber().toString(16) + ", not after " + cert.getNotAfter().toInstant() + ")";
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.close();
    }
  }

}
