package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ext_authz through a real server and real gRPC stubs: the policies of DESIGN §1.1 from Mixer YAML.
 */
class ExtAuthzEndToEndTest {

  static final Path EXAMPLES = Path.of("..", "envoy-config", "examples");

  @TempDir Path dir;
  private ServerHarness harness;

  @AfterEach
  void stop() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  private ServerHarness start(String yaml) throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, yaml);
    harness = ServerHarness.start(List.of(file));
    return harness;
  }

  private static Map<String, String> headers(List<HeaderValueOption> options) {
    return options.stream()
        .collect(Collectors.toMap(h -> h.getHeader().getKey(), h -> h.getHeader().getValue()));
  }

  @Test
  void embeddedDefaultConfigAllowsAndMarksTheResponse() throws Exception {
    harness = ServerHarness.start(List.of());
    CheckResponse r = harness.check("request.path", "/anything", "source.ip", "10.0.0.1");
    assertThat(r.getStatus().getCode()).isZero();
    assertThat(headers(r.getOkResponse().getResponseHeadersToAddList()))
        .containsEntry("x-offpath-policy", "default");
  }

  @Test
  void matchedDenierDeniesWith403AndNamesTheRule() throws Exception {
    harness = ServerHarness.start(List.of(EXAMPLES.resolve("deny.yaml")));
    CheckResponse denied = harness.check("request.path", "/admin/users");
    assertThat(denied.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED.value());
    assertThat(denied.getStatus().getMessage())
        .isEqualTo("denyadmin.handler.istio-system:admin area is internal only");
    assertThat(denied.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(denied.getDeniedResponse().getBody()).contains("admin area is internal only");
    assertThat(denied.getDynamicMetadata().getFieldsOrThrow("offpath.rule").getStringValue())
        .isEqualTo("denyadmin.rule.istio-system");

    CheckResponse internal =
        harness.check("request.path", "/admin/users", "request.headers[x-internal]", "true");
    assertThat(internal.getStatus().getCode()).isZero();
    assertThat(harness.check("request.path", "/shop").getStatus().getCode()).isZero();
  }

  @Test
  void ipBlacklistWithCidrsAndStringWhitelist() throws Exception {
    harness = ServerHarness.start(List.of(EXAMPLES.resolve("lists.yaml")));
    CheckResponse v4 = harness.check("source.ip", "203.0.113.7", "request.path", "/");
    assertThat(v4.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(v4.getStatus().getMessage()).contains("203.0.113.7 is blacklisted");
    CheckResponse v6 = harness.check("source.ip", "2001:db8::5", "request.path", "/");
    assertThat(v6.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(harness.check("source.ip", "198.51.100.1", "request.path", "/").getStatus().getCode())
        .isZero();

    CheckResponse listed =
        harness.check(
            "source.ip", "198.51.100.1", "request.path", "/api/x", "request.headers[user-agent]", "CURL");
    assertThat(listed.getStatus().getCode()).isZero();
    CheckResponse unlisted =
        harness.check(
            "source.ip", "198.51.100.1", "request.path", "/api/x", "request.headers[user-agent]", "wget");
    assertThat(unlisted.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED.value());
    assertThat(unlisted.getStatus().getMessage()).contains("wget is not whitelisted");
    assertThat(unlisted.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
  }

  @Test
  void memquotaDeniesThePerUserExcessWith429WhileOthersPass() throws Exception {
    start(
        """
        apiVersion: config.istio.io/v1alpha2
        kind: memquota
        metadata: {name: handler, namespace: istio-system}
        spec:
          quotas:
          - name: requestcount.quota.istio-system
            maxAmount: 3
            validDuration: 60s
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: quota
        metadata: {name: requestcount, namespace: istio-system}
        spec:
          dimensions:
            user: request.headers["x-user"] | "anonymous"
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: quota, namespace: istio-system}
        spec:
          actions:
          - handler: handler.memquota
            instances: [requestcount.quota]
        """);
    for (int i = 0; i < 3; i++) {
      assertThat(harness.check("request.headers[x-user]", "bob").getStatus().getCode()).isZero();
    }
    CheckResponse limited = harness.check("request.headers[x-user]", "bob");
    assertThat(limited.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED.value());
    assertThat(limited.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(429);
    assertThat(harness.check("request.headers[x-user]", "alice").getStatus().getCode()).isZero();
  }

  @Test
  void headerOperationsApplyToAllowedRequests() throws Exception {
    start(
        """
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: headers, namespace: default}
        spec:
          match: request.headers["x-user"] != ""
          requestHeaderOperations:
          - name: x-user-id
            values: ['"user-" + request.headers["x-user"]']
          - name: x-secret
            operation: REMOVE
          responseHeaderOperations:
          - name: x-served-by
            values: ['"offpath"']
            operation: APPEND
        """);
    CheckResponse r = harness.check("request.headers[x-user]", "carol");
    assertThat(r.getStatus().getCode()).isZero();
    assertThat(headers(r.getOkResponse().getHeadersList())).containsEntry("x-user-id", "user-carol");
    assertThat(r.getOkResponse().getHeadersToRemoveList()).containsExactly("x-secret");
    assertThat(headers(r.getOkResponse().getResponseHeadersToAddList()))
        .containsEntry("x-served-by", "offpath");
    assertThat(r.getOkResponse().getResponseHeadersToAdd(0).getAppendAction().name())
        .isEqualTo("APPEND_IF_EXISTS_OR_ADD");

    CheckResponse noUser = harness.check("request.path", "/");
    assertThat(noUser.getStatus().getCode()).isZero();
    assertThat(noUser.getOkResponse().getHeadersCount()).isZero();
  }

  @Test
  void preconditionsComeFromTheCheckCacheWhileQuotaIsSpentPerRequest() throws Exception {
    harness =
        ServerHarness.start(List.of(EXAMPLES.resolve("deny.yaml"), EXAMPLES.resolve("quota.yaml")));
    for (int i = 0; i < 3; i++) {
      assertThat(
              harness
                  .check("request.path", "/admin", "request.headers[x-user]", "dora")
                  .getDeniedResponse()
                  .getStatus()
                  .getCodeValue())
          .isEqualTo(403);
    }
    // The second and third denial come from the cache, without a dispatch to the denier.
    assertThat(harness.metrics())
        .contains("mixer_checkcache_cache_hits_total 2.0")
        .contains(
            "mixer_runtime_dispatch_count_total{adapter=\"denier\",error=\"false\",handler=\"denyadmin.handler.istio-system\",meshFunction=\"checknothing\"} 1");
    // Denied requests spent no quota; the anonymous user's 5 a minute are spent one per allowed
    // request even though every precondition after the first is a cache hit.
    for (int i = 0; i < 5; i++) {
      assertThat(harness.check("request.path", "/shop").getStatus().getCode()).isZero();
    }
    assertThat(harness.check("request.path", "/shop").getDeniedResponse().getStatus().getCodeValue())
        .isEqualTo(429);
    assertThat(harness.metrics()).contains("mixer_checkcache_cache_hits_total 7.0");
  }

  @Test
  void selfMonitoringMetricsKeepMixerNames() throws Exception {
    harness = ServerHarness.start(List.of(EXAMPLES.resolve("deny.yaml")));
    harness.check("request.path", "/admin");
    harness.check("request.path", "/");
    String metrics = harness.metrics();
    assertThat(metrics)
        .contains(
            "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Check\",grpc_service=\"envoy.service.auth.v3.Authorization\",grpc_type=\"UNARY\"} 2")
        .contains("grpc_server_handling_seconds_bucket{")
        .contains(
            "mixer_runtime_dispatch_count_total{adapter=\"denier\",error=\"false\",handler=\"denyadmin.handler.istio-system\",meshFunction=\"checknothing\"} 1")
        .contains("mixer_config_rule_config_count");
    assertThat(harness.admin("/healthz").statusCode()).isEqualTo(200);
    assertThat(harness.admin("/readyz").statusCode()).isEqualTo(200);
    assertThat(harness.admin("/config").body()).contains("denyadmin.handler.istio-system");
  }
}
