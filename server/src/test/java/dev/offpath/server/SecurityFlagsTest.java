package dev.offpath.server;

import dev.offpath.server.tracing.TracingOptions;
import dev.offpath.server.decisions.DecisionLogOptions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.server.CliTest.Result;
import dev.offpath.server.admin.AdminServer;
import dev.offpath.server.tls.ServerTls;
import dev.offpath.server.tls.TestPki;
import dev.offpath.server.tls.TestPki.KeyFormat;
import dev.offpath.server.tls.TestPki.Pair;
import dev.offpath.server.tls.TlsOptions;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin exposure rule, the admin bearer token, the admin port's TLS and the connection limits. */
class SecurityFlagsTest {

  private static final List<Path> DENY = List.of(ExtAuthzEndToEndTest.EXAMPLES.resolve("deny.yaml"));
  private static final String TOKEN = "0123456789abcdef-secret";

  @TempDir Path dir;

  @Test
  void aNonLoopbackAdminWithoutTlsAndTokenIsRefusedAtStartInOneLine() {
    Result r = CliTest.run("serve", "--admin-address", "0.0.0.0", "--grpc-address", "127.0.0.1", "--grpc-port", "0", "--admin-port", "0", "--telemetry-port", "0", "--no-watch");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().strip().lines()).containsExactly(
        "offpath serve: --admin-address 0.0.0.0 is not loopback: the admin port (/config, /metrics) then needs TLS (--tls-cert-file, --tls-key-file) and --admin-token-file; missing: TLS and --admin-token-file");
  }

  @Test
  void tlsFlagsGoInPairs() {
    Result r = CliTest.run("serve", "--tls-cert-file", "x.crt", "--grpc-port", "0");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("offpath serve: --tls-cert-file and --tls-key-file go together (got only --tls-cert-file)");
    Result sans = CliTest.run("serve", "--tls-cert-file", "x.crt", "--tls-key-file", "x.key", "--tls-allowed-client-san", "spiffe://a/*", "--grpc-port", "0");
    assertThat(sans.exit()).isEqualTo(2);
    assertThat(sans.err()).contains("--tls-allowed-client-san needs --tls-client-ca-file");
    Result age = CliTest.run("serve", "--max-connection-age", "soon", "--grpc-port", "0");
    assertThat(age.exit()).isEqualTo(2);
    assertThat(age.err().strip()).isEqualTo("offpath serve: --max-connection-age: soon (expected: a duration such as 30s, 5m, 1h, or 0)");
  }

  @Test
  void theAdminTokenIsRequiredExceptForProbesAndRefusalsAreCounted() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, TOKEN + "\n");
    try (ServerHarness h = ServerHarness.start(with(SecurityOptions.DEFAULTS.withAdminTokenFile(token)))) {
      HttpClient http = HttpClient.newHttpClient();
      URI metrics = URI.create("http://127.0.0.1:" + h.server.adminPort() + "/metrics");
      HttpResponse<String> none = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.body()).isEqualTo("unauthorized\n");
      assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
      HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(metrics).header("Authorization", "Bearer nope").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(h.admin("/healthz").statusCode()).isEqualTo(200);
      assertThat(h.admin("/config").statusCode()).isEqualTo(401);
      HttpResponse<String> ok = http.send(HttpRequest.newBuilder(metrics).header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ServerHarness.sum(ok.body(), "offpath_admin_auth_failures_total")).isEqualTo(3);
      assertThat(ok.body()).doesNotContain(TOKEN);
    }
  }

  @Test
  void theAdminPortServesHttpsWithTheGrpcCertificate() throws Exception {
    TestPki pki = new TestPki(dir);
    Pair ca = pki.ca("ca");
    Pair server = pki.leaf(ca, "server", "DNS:localhost,IP:127.0.0.1", KeyFormat.SEC1_EC);
    try (ServerTls tls = ServerTls.start(new TlsOptions(server.cert(), server.key(), null, List.of()), false);
        AdminServer admin =
            AdminServer.builder().address("127.0.0.1", 0).registry(new PrometheusRegistry()).tls(tls.adminContext()).start()) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (var in = Files.newInputStream(ca.cert())) {
        trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();
      HttpResponse<String> r =
          https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + admin.port() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.sslSession().orElseThrow().getProtocol()).isIn("TLSv1.2", "TLSv1.3");
    }
  }

  @Test
  void serverAdvertisesItsStreamLimitAndAnswersAPingFloodWithGoAway() throws Exception {
    ConnectionLimits limits = new ConnectionLimits(37, Duration.ZERO, Duration.ZERO, Duration.ofMinutes(5), Duration.ZERO, 1000);
    try (ServerHarness h = ServerHarness.start(with(SecurityOptions.DEFAULTS.withLimits(limits)));
        Socket socket = new Socket("127.0.0.1", h.server.grpcPort())) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      frame(out, 4, 0, new byte[0]); // SETTINGS
      DataInputStream in = new DataInputStream(socket.getInputStream());
      long maxStreams = -1;
      int goAwayError = -1;
      int pings = 0;
      while (goAwayError < 0) {
        if (pings < 50) {
          try {
            frame(out, 6, 0, new byte[8]); // PING, far more often than every 5 minutes
            pings++;
          } catch (java.io.IOException e) {
            pings = 50; // the server has closed its side after its GOAWAY: read what it sent
          }
        }
        int length = (in.readUnsignedShort() << 8) | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        in.readInt(); // stream id
        byte[] payload = in.readNBytes(length);
        if (type == 4 && (flags & 1) == 0) {
          for (int i = 0; i + 6 <= payload.length; i += 6) {
            int id = ((payload[i] & 0xff) << 8) | (payload[i + 1] & 0xff);
            long value = ((payload[i + 2] & 0xffL) << 24) | ((payload[i + 3] & 0xff) << 16) | ((payload[i + 4] & 0xff) << 8) | (payload[i + 5] & 0xff);
            if (id == 3) {
              maxStreams = value;
            }
          }
          try {
            frame(out, 4, 1, new byte[0]); // SETTINGS ack
          } catch (java.io.IOException e) {
            pings = 50;
          }
        } else if (type == 7) {
          goAwayError = ((payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16) | ((payload[6] & 0xff) << 8) | (payload[7] & 0xff);
        }
      }
      assertThat(maxStreams).isEqualTo(37);
      assertThat(goAwayError).as("ENHANCE_YOUR_CALM").isEqualTo(0xb);
    }
  }

  private static void frame(OutputStream out, int type, int flags, byte[] payload) throws java.io.IOException {
    byte[] header = {
      (byte) (payload.length >> 16), (byte) (payload.length >> 8), (byte) payload.length, (byte) type, (byte) flags, 0, 0, 0, 0
    };
    out.write(header);
    out.write(payload);
    out.flush();
  }

  private static ServerOptions with(SecurityOptions security) {
    ServerOptions b = ServerHarness.options(DENY, false);
    return new ServerOptions(
        b.configPaths(), b.grpcAddress(), 0, b.adminAddress(), 0, 0, b.maxMessageBytes(), false,
        b.checkCacheSize(), b.shutdownGrace(), false, 0, b.reportWorkers(), b.reportQueue(), security,
        DecisionLogOptions.OFF, TracingOptions.OFF);
  }
}
