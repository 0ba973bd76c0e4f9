package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import dev.offpath.extauthz.CheckRequests;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a client is told: Offpath's own short words, never internals, a bad field a clear 400. */
class MessageHygieneTest {

  @TempDir Path dir;

  @Test
  void aRequestTimeOutOfRangeIsA400NotAnInternalError() throws Exception {
    try (ServerHarness h = ServerHarness.start(List.of(ExtAuthzEndToEndTest.EXAMPLES.resolve("deny.yaml")))) {
      CheckRequest.Builder req = CheckRequests.fromAttributes(Map.of("request.path", "/shop")).toBuilder();
      req.getAttributesBuilder().getRequestBuilder().setTime(Timestamp.newBuilder().setSeconds(Long.MAX_VALUE));
      CheckResponse r = h.authz.withDeadlineAfter(10, TimeUnit.SECONDS).check(req.build());
      assertThat(r.getStatus().getCode()).isEqualTo(3); // INVALID_ARGUMENT
      assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(400);
      assertThat(r.getStatus().getMessage())
          .isEqualTo("request.time out of range (expected: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)");
    }
  }

  @Test
  void aListProviderUrlWithCredentialsNeverReachesTheClient() throws Exception {
    Path config = dir.resolve("list.yaml");
    Files.writeString(
        config,
        """
        apiVersion: config.istio.io/v1alpha2
        kind: listchecker
        metadata: {name: remote, namespace: istio-system}
        spec:
          providerUrl: http://admin:s3cret-pw@127.0.0.1:1/list.txt?token=t0ken
          refreshInterval: 1h
          ttl: 2h
          blacklist: true
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: listentry
        metadata: {name: path, namespace: istio-system}
        spec: {value: request.path}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: checkpath, namespace: istio-system}
        spec:
          actions:
          - handler: remote.listchecker
            instances: [path.listentry]
        """);
    try (ServerHarness h = ServerHarness.start(List.of(config))) {
      CheckResponse r = h.check("request.path", "/shop");
      assertThat(r.getStatus().getCode()).isEqualTo(14); // UNAVAILABLE
      String everything = r.toString();
      assertThat(everything).doesNotContain("s3cret-pw").doesNotContain("t0ken").doesNotContain("127.0.0.1:1");
      assertThat(r.getStatus().getMessage()).contains("list 'remote.listchecker.istio-system' is not available");
    }
  }
}
