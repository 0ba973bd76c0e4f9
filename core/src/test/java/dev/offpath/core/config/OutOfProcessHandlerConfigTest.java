package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.remote.RemoteAuthentication;
import dev.offpath.core.remote.RemoteAuthentication.AuthHeader;
import dev.offpath.core.remote.RemoteConnection;
import dev.offpath.core.remote.RemoteFailurePolicy;
import dev.offpath.core.remote.RemoteHandlerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A remote handler's connection, authentication, failure policy and session flag as compiled, and
 * reload equality: the same files give equal {@link RemoteHandlerConfig}s (so the runtime keeps the
 * handler and its channel); a change of params alone changes the config but not the connection.
 */
class OutOfProcessHandlerConfigTest {

  private final ConfigLoader loader = new ConfigLoader(TestAdapters.registry());

  private RemoteHandlerConfig handler(String doc) throws Exception {
    List<ConfigText> texts =
        new ArrayList<>(
            RemoteConfigs.texts(
                OutOfProcessReferenceConfigTest.all(
                    OutOfProcessReferenceConfigTest.TEMPLATES, List.of("oop/nosession.yaml"))));
    texts.add(new ConfigText("test.yaml", doc));
    PolicyConfig config = loader.loadTexts(texts);
    assertThat(config.warnings()).isEmpty();
    return (RemoteHandlerConfig) config.handlers().get("h.handler.istio-system").adapterConfig();
  }

  @Test
  void tlsWithATokenAndSnakeCaseKeys() throws Exception {
    RemoteHandlerConfig h =
        handler(
            """
            apiVersion: config.istio.io/v1alpha2
            kind: handler
            metadata:
              name: h
              namespace: istio-system
              annotations: {offpath.dev/failure-policy: FAIL_OPEN}
            spec:
              adapter: listbackend-nosession
              connection:
                address: dns:///adapter.example:443
                timeout: 500ms
                authentication:
                  tls:
                    ca_certificates: /etc/certs/ca.pem
                    token_path: /var/run/token
                    auth_header: BEARER
                    server_name: adapter.example
            """);
    assertThat(h.connection())
        .isEqualTo(
            new RemoteConnection(
                "dns:///adapter.example:443",
                Duration.ofMillis(500),
                new RemoteAuthentication.Tls(
                    "/etc/certs/ca.pem",
                    "/var/run/token",
                    AuthHeader.BEARER,
                    null,
                    "adapter.example")));
    assertThat(h.failurePolicy()).isEqualTo(RemoteFailurePolicy.FAIL_OPEN);
    assertThat(h.params()).isNotNull();
    assertThat(h.params().isEmpty()).isTrue(); // no params: an empty Params message
    assertThat(h.toString())
        .contains("dns:///adapter.example:443", "/var/run/token", "FAIL_OPEN")
        .doesNotContain("ByteString");
  }

  @Test
  void mutualTlsWithCamelCaseKeysAndACustomHeaderToken() throws Exception {
    RemoteHandlerConfig h =
        handler(
            """
            apiVersion: config.istio.io/v1alpha2
            kind: handler
            metadata: {name: h, namespace: istio-system}
            spec:
              adapter: listbackend-nosession
              connection:
                address: 127.0.0.1:9000
                authentication:
                  mutual:
                    privateKey: /k.pem
                    clientCertificate: /c.pem
                    caCertificates: /ca.pem
            """);
    assertThat(h.connection().authentication())
        .isEqualTo(new RemoteAuthentication.Mutual("/k.pem", "/c.pem", "/ca.pem", null));
    assertThat(h.connection().timeout()).isEqualTo(RemoteConnection.DEFAULT_TIMEOUT);
    assertThat(h.failurePolicy()).isEqualTo(RemoteFailurePolicy.FAIL_CLOSE);

    RemoteHandlerConfig custom =
        handler(
            """
            apiVersion: config.istio.io/v1alpha2
            kind: handler
            metadata: {name: h, namespace: istio-system}
            spec:
              adapter: listbackend-nosession
              connection:
                address: 127.0.0.1:9000
                authentication:
                  tls: {caCertificates: /ca.pem, tokenPath: /t, customHeader: x-api-key}
            """);
    assertThat(custom.connection().authentication())
        .isEqualTo(
            new RemoteAuthentication.Tls("/ca.pem", "/t", AuthHeader.PLAIN, "x-api-key", null));
  }

  @Test
  void aSessionBasedAdapterSendsNoParams() throws Exception {
    String doc =
        """
        apiVersion: config.istio.io/v1alpha2
        kind: adapter
        metadata: {name: session, namespace: istio-system}
        spec:
          session_based: true
          templates: [listentry]
          config: %s
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: h, namespace: istio-system}
        spec:
          adapter: session
          connection: {address: "x:1"}
          params: {overrides: [a]}
        """
            .formatted(
                java.util.Base64.getEncoder()
                    .encodeToString(
                        RemoteConfigs.adapterConfig(
                                dev.offpath.core.testing.MixerReference.file("oop/nosession.yaml"))
                            .toByteArray()));
    RemoteHandlerConfig h = handler(doc);
    assertThat(h.sessionBased()).isTrue();
    assertThat(h.params()).isNull();
    assertThat(h.paramsTypeUrl()).isNull();
  }

  @Test
  void reloadingTheSameFilesGivesEqualConfigsAndParamsAloneChangeThem() throws Exception {
    List<String> files =
        OutOfProcessReferenceConfigTest.all(
            OutOfProcessReferenceConfigTest.TEMPLATES,
            OutOfProcessReferenceConfigTest.all(
                OutOfProcessReferenceConfigTest.LIST, OutOfProcessReferenceConfigTest.PROMETHEUS));
    PolicyConfig first = OutOfProcessReferenceConfigTest.load(loader, files);
    PolicyConfig second = OutOfProcessReferenceConfigTest.load(loader, files);
    for (String name : first.handlers().keySet()) {
      Object a = first.handlers().get(name).adapterConfig();
      Object b = second.handlers().get(name).adapterConfig();
      assertThat(a).isNotSameAs(b).isEqualTo(b).hasSameHashCodeAs(b);
    }
    assertThat(first.handlers()).isEqualTo(second.handlers());

    List<ConfigText> texts = RemoteConfigs.texts(files);
    List<ConfigText> changed = new ArrayList<>();
    for (ConfigText t : texts) {
      changed.add(
          t.name().endsWith("listcheckoop.yaml")
              ? new ConfigText(t.name(), t.content().replace("mysource2", "mysource3"))
              : t);
    }
    PolicyConfig same = loader.loadTexts(texts);
    PolicyConfig other = loader.loadTexts(changed);
    String list = "source-whitelist.handler.istio-system";
    RemoteHandlerConfig before = (RemoteHandlerConfig) same.handlers().get(list).adapterConfig();
    RemoteHandlerConfig after = (RemoteHandlerConfig) other.handlers().get(list).adapterConfig();
    assertThat(after).isNotEqualTo(before);
    assertThat(after.connection()).isEqualTo(before.connection());
    assertThat(after.templates()).isEqualTo(before.templates());
    assertThat(after.params()).isNotEqualTo(before.params());
    String prometheus = "prometheus-handler.handler.istio-system";
    assertThat(other.handlers().get(prometheus).adapterConfig())
        .isEqualTo(same.handlers().get(prometheus).adapterConfig());
  }
}
