package dev.offpath.server.remote;

import static dev.offpath.server.remote.OopAdapter.OK;
import static dev.offpath.server.remote.OopAdapter.UNAVAILABLE;
import static dev.offpath.server.remote.OopAdapter.checkResult;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offpath.core.testing.MixerReference;
import dev.offpath.server.ServerHarness;
import dev.offpath.server.tls.TestPki;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code authentication.mutual} behind a real Offpath, with certificates made at test time: the
 * adapter requires a client certificate from its CA. A handler with the right certificate, key, CA
 * and {@code server_name} gets its Checks through; one trusting another CA (so the adapter's
 * certificate is refused) or presenting a client certificate the adapter does not trust fails per
 * its failure policy (FAIL_CLOSE 503, FAIL_OPEN allowed). {@code /config} shows the paths, never
 * the files' contents.
 */
class RemoteMutualTlsEndToEndTest {

  @TempDir Path dir;
  private ServerHarness server;
  private OopAdapter adapter;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (adapter != null) {
      adapter.close();
    }
  }

  private static String handler(
      String name, String policy, String address, TestPki.Pair client, TestPki.Pair ca) {
    return """
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata:
          name: %s
          namespace: istio-system
          annotations: {offpath.dev/failure-policy: %s}
        spec:
          adapter: lister
          connection:
            address: "%s"
            timeout: 2s
            authentication:
              mutual:
                private_key: %s
                client_certificate: %s
                ca_certificates: %s
                server_name: adapter.test
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: %s, namespace: istio-system}
        spec:
          match: request.path == "/%s"
          actions:
          - {handler: %s, instances: [source]}
        """
        .formatted(
            name, policy, address, client.key(), client.cert(), ca.cert(), name, name, name);
  }

  @Test
  void mutualTlsGoesThroughAndAWrongCaFailsPerPolicy() throws Exception {
    TestPki pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
    TestPki.Pair ca = pki.ca("adapter-ca");
    TestPki.Pair other = pki.ca("other-ca");
    TestPki.Pair serverCert =
        pki.leaf(ca, "adapter", "DNS:adapter.test,IP:127.0.0.1", TestPki.KeyFormat.PKCS8_EC);
    TestPki.Pair client = pki.leaf(ca, "offpath", "DNS:offpath.test", TestPki.KeyFormat.PKCS8_EC);
    TestPki.Pair stranger = pki.leaf(other, "stranger", "DNS:stranger.test", TestPki.KeyFormat.PKCS8_EC);
    adapter =
        new OopAdapter(
            OopAdapter.template("listentry"),
            r -> checkResult(OK, "", 60, 1000),
            b -> {
              try {
                return b.sslContext(
                    GrpcSslContexts.forServer(serverCert.cert().toFile(), serverCert.key().toFile())
                        .trustManager(ca.cert().toFile())
                        .clientAuth(ClientAuth.REQUIRE)
                        .build());
              } catch (javax.net.ssl.SSLException e) {
                throw new IllegalStateException(e);
              }
            });

    Path config = Files.createDirectories(dir.resolve("config"));
    Files.copy(
        MixerReference.file("oop/template-listentry.yaml"), config.resolve("template-listentry.yaml"));
    String address = adapter.address();
    Files.writeString(
        config.resolve("lister.yaml"),
        """
        apiVersion: config.istio.io/v1alpha2
        kind: adapter
        metadata: {name: lister, namespace: istio-system}
        spec: {session_based: false, templates: [listentry]}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: source, namespace: istio-system}
        spec:
          template: listentry
          params: {value: source.name | "unknown"}
        """
            + handler("good", "FAIL_CLOSE", address, client, ca)
            + handler("wrongca", "FAIL_CLOSE", address, client, other)
            + handler("wrongcaopen", "FAIL_OPEN", address, client, other)
            + handler("stranger", "FAIL_CLOSE", address, stranger, ca));
    server = ServerHarness.start(ServerHarness.options(List.of(config), false));

    CheckResponse good = server.check("request.path", "/good", "source.name", "alice");
    assertThat(good.getStatus().getCode()).as(good.getStatus().getMessage()).isEqualTo(OK);
    assertThat(adapter.requests).hasSize(1);

    // Trusting another CA: the adapter's certificate is refused; FAIL_CLOSE denies 503.
    CheckResponse wrongCa = server.check("request.path", "/wrongca", "source.name", "bob");
    assertThat(wrongCa.getStatus().getCode()).isEqualTo(UNAVAILABLE);
    assertThat(wrongCa.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(503);
    // FAIL_OPEN allows.
    assertThat(
            server.check("request.path", "/wrongcaopen", "source.name", "bob").getStatus().getCode())
        .isEqualTo(OK);
    // A client certificate the adapter does not trust: refused by the adapter, 503.
    assertThat(server.check("request.path", "/stranger", "source.name", "bob").getStatus().getCode())
        .isEqualTo(UNAVAILABLE);
    assertThat(adapter.requests).hasSize(1);

    // /config: the paths, never the contents.
    String body = server.admin("/config").body();
    JsonNode auth =
        new ObjectMapper()
            .readTree(body)
            .path("handlers")
            .path("good.handler.istio-system")
            .path("remote")
            .path("authentication");
    assertThat(auth.path("kind").asText()).isEqualTo("mutual");
    assertThat(auth.path("privateKey").asText()).isEqualTo(client.key().toString());
    assertThat(auth.path("clientCertificate").asText()).isEqualTo(client.cert().toString());
    assertThat(auth.path("caCertificates").asText()).isEqualTo(ca.cert().toString());
    assertThat(auth.path("serverName").asText()).isEqualTo("adapter.test");
    assertThat(body).doesNotContain("BEGIN").doesNotContain("PRIVATE KEY");
  }
}
