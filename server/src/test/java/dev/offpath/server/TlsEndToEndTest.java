package dev.offpath.server;

import dev.offpath.server.tracing.TracingOptions;
import dev.offpath.server.decisions.DecisionLogOptions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.extauthz.CheckRequests;
import dev.offpath.server.tls.HandshakeFailure;
import dev.offpath.server.tls.TestPki;
import dev.offpath.server.tls.TestPki.KeyFormat;
import dev.offpath.server.tls.TestPki.Pair;
import dev.offpath.server.tls.TlsOptions;
import dev.offpath.server.tls.TlsStats;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mTLS on the gRPC port with real clients and certificates made at test time: plaintext
 * refused, mTLS without or with a wrong client certificate refused (each counted by reason), allowed
 * SANs called, certificate rotation mid-traffic without a failed call, and a bad pair keeping the
 * last good one.
 */
class TlsEndToEndTest {

  private static final List<Path> DENY = List.of(ExtAuthzEndToEndTest.EXAMPLES.resolve("deny.yaml"));
  private static final String SERVER_SANS = "DNS:localhost,IP:127.0.0.1";
  private static final String MESH = "spiffe://cluster.local/ns/istio-system/sa/";

  @TempDir Path dir;
  private TestPki pki;
  private Pair ca;
  private Pair server;

  @BeforeEach
  void pki() throws Exception {
    pki = new TestPki(dir);
    ca = pki.ca("ca");
    server = pki.leaf(ca, "server", SERVER_SANS, KeyFormat.PKCS1_RSA);
  }

  private ServerHarness start(@Nullable Path clientCa, List<String> sans) throws Exception {
    ServerOptions base = ServerHarness.options(DENY, false);
    SecurityOptions security =
        SecurityOptions.DEFAULTS.withTls(new TlsOptions(server.cert(), server.key(), clientCa, sans));
    return ServerHarness.start(
        new ServerOptions(
            base.configPaths(), base.grpcAddress(), 0, base.adminAddress(), 0, 0, base.maxMessageBytes(),
            false, base.checkCacheSize(), base.shutdownGrace(), false, 0, base.reportWorkers(),
            base.reportQueue(), security, DecisionLogOptions.OFF, TracingOptions.OFF));
  }

  private ManagedChannel tlsChannel(int port, @Nullable Pair client) throws Exception {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(ca.cert().toFile());
    if (client != null) {
      ssl.keyManager(client.cert().toFile(), client.key().toFile());
    }
    return NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(ssl.build()).build();
  }

  private static CheckResponse check(ManagedChannel channel, String path) {
    return AuthorizationGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(CheckRequests.fromAttributes(Map.of("request.path", path)));
  }

  @Test
  void tlsServesChecksAndPlaintextIsRefusedAndCounted() throws Exception {
    try (ServerHarness h = start(null, List.of())) {
      ManagedChannel tls = tlsChannel(h.server.grpcPort(), null);
      try {
        assertThat(check(tls, "/shop").getStatus().getCode()).isZero();
        assertThat(check(tls, "/admin").getStatus().getCode()).isEqualTo(7);
      } finally {
        tls.shutdownNow();
      }
      // ServerHarness's own channel is plaintext.
      assertThatThrownBy(() -> h.check("request.path", "/shop"))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      TlsStats stats = h.server.tls().stats();
      await(() -> stats.failures(HandshakeFailure.NOT_TLS), 1);
      assertThat(ServerHarness.sum(h.metrics(), "offpath_tls_handshake_failures_total", "reason", "not_tls")).isGreaterThanOrEqualTo(1);
      assertThat(h.admin("/debug/vars").body()).contains("\"grpcTls\" : \"BoringSSL");
    }
  }

  @Test
  void mtlsRefusesAMissingClientCertificateAnUntrustedOneAndASanOutsideTheList() throws Exception {
    Pair allowed = pki.leaf(ca, "envoy", "URI:" + MESH + "istio-proxy", KeyFormat.PKCS8_EC);
    Pair otherNamespace = pki.leaf(ca, "other", "URI:spiffe://cluster.local/ns/default/sa/app,DNS:app", KeyFormat.PKCS8_RSA);
    Pair rogueCa = pki.ca("rogue-ca");
    Pair rogue = pki.leaf(rogueCa, "rogue", "URI:" + MESH + "istio-proxy", KeyFormat.PKCS8_EC);
    try (ServerHarness h = start(ca.cert(), List.of(MESH + "*"))) {
      int port = h.server.grpcPort();
      TlsStats stats = h.server.tls().stats();

      assertThat(check(allowed, port).getStatus().getCode()).isZero();

      assertRefused(port, null);
      await(() -> stats.failures(HandshakeFailure.CLIENT_CERTIFICATE_MISSING), 1);

      assertRefused(port, otherNamespace);
      await(() -> stats.failures(HandshakeFailure.CLIENT_SAN_NOT_ALLOWED), 1);

      // grpc's client sends no certificate the server's CA list does not name (counted as
      // missing); a client that insists on sending one the CA did not sign is untrusted.
      assertRefused(port, rogue);
      assertThatThrownBy(() -> handshake(port, rogue)).isInstanceOf(javax.net.ssl.SSLException.class);
      await(() -> stats.failures(HandshakeFailure.CLIENT_CERTIFICATE_UNTRUSTED), 1);

      String metrics = h.metrics();
      for (String reason : List.of("client_certificate_missing", "client_san_not_allowed", "client_certificate_untrusted")) {
        assertThat(ServerHarness.sum(metrics, "offpath_tls_handshake_failures_total", "reason", reason)).as(reason).isGreaterThanOrEqualTo(1);
      }
      assertThat(check(allowed, port).getStatus().getCode()).isZero();
    }
  }

  private CheckResponse check(Pair client, int port) throws Exception {
    ManagedChannel channel = tlsChannel(port, client);
    try {
      return check(channel, "/shop");
    } finally {
      channel.shutdownNow();
    }
  }

  private void assertRefused(int port, @Nullable Pair client) throws Exception {
    ManagedChannel channel = tlsChannel(port, client);
    try {
      assertThatThrownBy(() -> check(channel, "/shop"))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void rotationMidTrafficFailsNoCallAndABadPairKeepsTheLastGoodOne() throws Exception {
    ServerOptions base = ServerHarness.options(DENY, false);
    Path live = Files.createDirectories(dir.resolve("live"));
    Path cert = live.resolve("tls.crt");
    Path key = live.resolve("tls.key");
    Files.copy(server.cert(), cert);
    Files.copy(server.key(), key);
    SecurityOptions security = SecurityOptions.DEFAULTS.withTls(new TlsOptions(cert, key, null, List.of()));
    try (ServerHarness h =
        ServerHarness.start(
            new ServerOptions(
                base.configPaths(), "127.0.0.1", 0, "127.0.0.1", 0, 0, base.maxMessageBytes(), false,
                base.checkCacheSize(), base.shutdownGrace(), false, 0, base.reportWorkers(), base.reportQueue(),
                security, DecisionLogOptions.OFF, TracingOptions.OFF))) {
      int port = h.server.grpcPort();
      BigInteger first = serialServed(port);
      assertThat(first).isEqualTo(certificate(server.cert()).getSerialNumber());

      // Traffic on an established connection while the pair is replaced.
      ManagedChannel established = tlsChannel(port, null);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong ok = new AtomicLong();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread traffic =
          new Thread(
              () -> {
                while (!stop.get()) {
                  try {
                    check(established, "/shop");
                    ok.incrementAndGet();
                  } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                    return;
                  }
                }
              });
      traffic.start();
      await(ok::get, 10);

      Pair next = pki.leaf(ca, "server2", SERVER_SANS, KeyFormat.SEC1_EC);
      Files.copy(next.key(), key, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(next.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
      h.server.tls().pollNow();
      assertThat(h.server.tls().stats().reloads()).isEqualTo(1);
      BigInteger second = certificate(next.cert()).getSerialNumber();
      assertThat(serialServed(port)).isEqualTo(second);
      ManagedChannel fresh = tlsChannel(port, null);
      assertThat(check(fresh, "/shop").getStatus().getCode()).isZero();
      fresh.shutdownNow();
      long before = ok.get();
      await(ok::get, before + 10);

      // A key that belongs to another certificate: refused, counted, the last good pair serves on.
      Pair stray = pki.leaf(ca, "stray", SERVER_SANS, KeyFormat.PKCS8_EC);
      Files.copy(stray.key(), key, StandardCopyOption.REPLACE_EXISTING);
      h.server.tls().pollNow();
      assertThat(h.server.tls().stats().rejectedReloads()).isEqualTo(1);
      assertThat(serialServed(port)).isEqualTo(second);
      assertThat(ServerHarness.sum(h.metrics(), "offpath_tls_reloads_total", "result", "failure")).isEqualTo(1);

      stop.set(true);
      traffic.join();
      established.shutdownNow();
      assertThat(failure.get()).isNull();
      assertThat(ok.get()).isGreaterThan(before);
    }
  }

  /** The serial of the certificate a new TLS 1.2+ connection with ALPN h2 is served. */
  private BigInteger serialServed(int port) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", certificate(ca.cert()));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
      SSLParameters params = socket.getSSLParameters();
      params.setApplicationProtocols(new String[] {"h2"});
      socket.setSSLParameters(params);
      socket.startHandshake();
      assertThat(socket.getApplicationProtocol()).isEqualTo("h2");
      assertThat(socket.getSession().getProtocol()).isIn("TLSv1.2", "TLSv1.3");
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  private static X509Certificate certificate(Path pem) throws Exception {
    try (var in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  @Test
  void tls11ClientsAreRefused() throws Exception {
    try (ServerHarness h = start(null, List.of())) {
      Process p =
          new ProcessBuilder(
                  "openssl", "s_client", "-connect", "127.0.0.1:" + h.server.grpcPort(), "-tls1_1",
                  "-cipher", "DEFAULT@SECLEVEL=0")
              .redirectErrorStream(true)
              .start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(p.waitFor()).as(out).isNotZero();
      await(() -> h.server.tls().stats().failures(HandshakeFailure.PROTOCOL), 1);
    }
  }

  /** A JDK handshake presenting {@code client}'s certificate whatever CAs the server names. */
  private void handshake(int port, Pair client) throws Exception {
    java.security.PrivateKey key;
    try (var in = Files.newInputStream(client.key())) {
      String pem = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
      String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      key = java.security.KeyFactory.getInstance("EC")
          .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(java.util.Base64.getDecoder().decode(base64)));
    }
    X509Certificate cert = certificate(client.cert());
    javax.net.ssl.X509KeyManager insist =
        new javax.net.ssl.X509ExtendedKeyManager() {
          @Override public String[] getClientAliases(String t, java.security.Principal[] i) { return new String[] {"c"}; }
          @Override public String chooseClientAlias(String[] t, java.security.Principal[] i, java.net.Socket s) { return "c"; }
          @Override public String chooseEngineClientAlias(String[] t, java.security.Principal[] i, javax.net.ssl.SSLEngine e) { return "c"; }
          @Override public String[] getServerAliases(String t, java.security.Principal[] i) { return null; }
          @Override public String chooseServerAlias(String t, java.security.Principal[] i, java.net.Socket s) { return null; }
          @Override public X509Certificate[] getCertificateChain(String a) { return new X509Certificate[] {cert}; }
          @Override public java.security.PrivateKey getPrivateKey(String a) { return key; }
        };
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", certificate(ca.cert()));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(new javax.net.ssl.KeyManager[] {insist}, tmf.getTrustManagers(), null);
    try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.startHandshake();
      // TLS 1.3: the server's verdict on the client certificate arrives after the client's Finished.
      socket.getOutputStream().write(new byte[] {0});
      socket.getOutputStream().flush();
      socket.getInputStream().read();
    }
  }

  static void await(LongSupplier value, long atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (value.getAsLong() < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("still " + value.getAsLong() + " (expected: >= " + atLeast + ")");
      }
      Thread.sleep(5);
    }
  }
}
