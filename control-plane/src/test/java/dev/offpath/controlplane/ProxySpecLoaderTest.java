package dev.offpath.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.controlplane.ProxySpec.PolicyFilter;
import dev.offpath.controlplane.ProxySpec.Service;
import dev.offpath.controlplane.ProxySpec.TelemetryFilter;
import dev.offpath.core.config.ConfigError;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigText;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxySpecLoaderTest {

  private final ProxySpecLoader loader = new ProxySpecLoader();

  private ProxySpec load(String yaml) throws ConfigException {
    return loader.load(List.of(new ConfigText("proxy.yaml", yaml)));
  }

  private List<String> errors(String yaml) {
    try {
      load(yaml);
    } catch (ConfigException e) {
      return e.errors().stream().map(ConfigError::toString).toList();
    }
    throw new AssertionError("expected errors");
  }

  @Test
  void readsAFullDeclarationBesideMixerDocuments() throws Exception {
    ProxySpec spec =
        load(
            """
            apiVersion: config.istio.io/v1alpha2
            kind: rule
            metadata: {name: r}
            spec: {}
            ---
            apiVersion: offpath.dev/v1alpha1
            kind: EnvoyProxy
            metadata: {name: edge}
            spec:
              listener: {address: 127.0.0.1, port: 10000}
              policy: ext_authz
              telemetry: ext_proc
              failureModeAllow: true
              services:
              - {name: shop, address: 127.0.0.1, port: 8080}
              - {name: api, address: api.internal, port: 9000, prefix: /api/}
            """);
    assertThat(spec)
        .isEqualTo(
            new ProxySpec(
                "edge",
                "127.0.0.1",
                10000,
                PolicyFilter.EXT_AUTHZ,
                TelemetryFilter.EXT_PROC,
                true,
                List.of(
                    new Service("shop", "127.0.0.1", 8080, "/"),
                    new Service("api", "api.internal", 9000, "/api/"))));
  }

  @Test
  void defaultsAreExtAuthzWithTheAccessLogAndExtProcReportsForItself() throws Exception {
    String base =
        """
        apiVersion: offpath.dev/v1alpha1
        kind: EnvoyProxy
        metadata: {name: edge}
        spec:
          listener: {port: 10000}
          services: [{name: shop, address: 127.0.0.1, port: 8080}]
        """;
    ProxySpec spec = load(base);
    assertThat(spec.listenerAddress()).isEqualTo("0.0.0.0");
    assertThat(spec.policy()).isEqualTo(PolicyFilter.EXT_AUTHZ);
    assertThat(spec.telemetry()).isEqualTo(TelemetryFilter.ACCESS_LOG);
    assertThat(spec.failureModeAllow()).isFalse();
    assertThat(load(base + "  policy: ext_proc\n").telemetry()).isEqualTo(TelemetryFilter.EXT_PROC);
  }

  @Test
  void noDeclarationIsNull() throws Exception {
    assertThat(load("apiVersion: config.istio.io/v1alpha2\nkind: rule\nmetadata: {name: r}\n")).isNull();
  }

  @Test
  void everyProblemIsReportedWithFileAndLine() {
    assertThat(
            errors(
                """
                apiVersion: offpath.dev/v1alpha1
                kind: EnvoyProxy
                metadata: {name: edge}
                spec:
                  listener: {port: 70000}
                  policy: opa
                  colour: blue
                  services:
                  - {name: Shop, address: 127.0.0.1, port: 8080}
                  - {name: api, port: 0, prefix: api}
                  - {name: offpath, address: 127.0.0.1, port: 9091}
                """))
        .containsExactly(
            "proxy.yaml:5: EnvoyProxy 'edge': spec.listener.port: 70000 (expected: 1..65535)",
            "proxy.yaml:6: EnvoyProxy 'edge': spec.policy: 'opa' (expected one of: ext_authz, ext_proc, none)",
            "proxy.yaml:7: EnvoyProxy 'edge': spec: unknown field 'colour' (expected one of: failureModeAllow, listener, policy, services, telemetry)",
            "proxy.yaml:9: EnvoyProxy 'edge': spec.services[0].name: 'Shop' (expected: lower-case letters, digits, '-', '_', '.')",
            "proxy.yaml:10: EnvoyProxy 'edge': spec.services[1].address: missing",
            "proxy.yaml:10: EnvoyProxy 'edge': spec.services[1].port: 0 (expected: 1..65535)",
            "proxy.yaml:10: EnvoyProxy 'edge': spec.services[1].prefix: 'api' (expected: starting with /)",
            "proxy.yaml:11: EnvoyProxy 'edge': spec.services[2].name: 'offpath' is the bootstrap's cluster for Offpath itself");
  }

  @Test
  void missingPartsUnknownKindsAndSecondDeclarations() {
    assertThat(
            errors(
                """
                apiVersion: offpath.dev/v1alpha1
                kind: EnvoyProxy
                metadata: {name: a}
                spec: {}
                ---
                apiVersion: offpath.dev/v1alpha1
                kind: EnvoyProxy
                metadata: {name: b}
                spec:
                  listener: {port: 1}
                  services: [{name: s, address: h, port: 1}]
                ---
                apiVersion: offpath.dev/v1alpha1
                kind: Gateway
                metadata: {name: g}
                ---
                apiVersion: offpath.dev/v1alpha1
                kind: EnvoyProxy
                metadata: {name: c}
                spec:
                  listener: {port: 2}
                  policy: ext_proc
                  telemetry: access_log
                  services: [{name: s, address: h, port: 1}]
                """))
        .containsExactly(
            "proxy.yaml:4: EnvoyProxy 'a': spec.listener: missing (expected: {port: 1..65535})",
            "proxy.yaml:4: EnvoyProxy 'a': spec.services: missing (expected: at least one service)",
            "proxy.yaml:6: EnvoyProxy 'b': a second EnvoyProxy (the first is at proxy.yaml:1; one per config)",
            "proxy.yaml:13: unknown kind 'Gateway' in offpath.dev/v1alpha1 (expected: EnvoyProxy)",
            "proxy.yaml:17: EnvoyProxy 'c': a second EnvoyProxy (the first is at proxy.yaml:1; one per config)");
    assertThatThrownBy(
            () ->
                load(
                    """
                    apiVersion: offpath.dev/v1alpha1
                    kind: EnvoyProxy
                    metadata: {name: c}
                    spec:
                      listener: {port: 2}
                      policy: ext_proc
                      telemetry: access_log
                      services: [{name: s, address: h, port: 1}]
                    """))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "proxy.yaml:7: EnvoyProxy 'c': spec.telemetry: 'access_log' with policy ext_proc (expected:"
                + " ext_proc, which reports every request it checks)");
  }
}
