package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.testing.MixerReference;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Istio's bookinfo RBAC task through ext_authz, on a real server with real stubs, with Istio's own
 * sample files as they stand (the Mixer wiring of {@code istio-rbac-enable.yaml}: an {@code
 * authorization} instance, a {@code kind: rbac} handler and a rule for namespace {@code default}).
 *
 * <p>Requests carry what an Istio sidecar tells ext_authz: the peer's identity as {@code
 * source.principal} and the destination's labels, the route's {@code destination.namespace} and
 * {@code destination.service} as context extensions. For the {@code config.istio.io} spelling,
 * whose instance reads Mixer's {@code source.user} and {@code source.namespace}, the request also
 * carries those (Istio's proxy reported them to Mixer) as context extensions; the {@code
 * rbac.istio.io} spelling needs only the principal.
 */
class RbacEndToEndTest {

  private static final String PRODUCTPAGE = "cluster.local/ns/default/sa/bookinfo-productpage";
  private static final String REVIEWS = "cluster.local/ns/default/sa/bookinfo-reviews";
  private static final String INGRESS =
      "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";
  private static final String DENIED = "handler.rbac.istio-system:RBAC: permission denied.";

  @TempDir Path dir;
  private ServerHarness harness;

  @AfterEach
  void stop() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  private void use(String... samples) throws Exception {
    try (var old = Files.list(dir)) {
      for (Path p : old.toList()) {
        Files.delete(p);
      }
    }
    for (String s : samples) {
      Files.copy(
          MixerReference.file("samples/rbac/" + s),
          dir.resolve(s),
          StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** One request from {@code principal} to bookinfo service {@code app}, as a sidecar sends it. */
  private CheckResponse call(
      String principal, String method, String app, boolean mixerAttributes, String... headers) {
    AttributeContext.Builder ctx = AttributeContext.newBuilder();
    ctx.getSourceBuilder().setPrincipal(principal);
    ctx.getDestinationBuilder().putLabels("app", app).putLabels("version", "v1");
    ctx.getRequestBuilder()
        .getHttpBuilder()
        .setMethod(method)
        .setPath("/" + app + "/0")
        .setProtocol("HTTP/1.1");
    for (int i = 0; i < headers.length; i += 2) {
      ctx.getRequestBuilder().getHttpBuilder().putHeaders(headers[i], headers[i + 1]);
    }
    ctx.putContextExtensions("destination.namespace", "default");
    ctx.putContextExtensions("destination.service", app + ".default.svc.cluster.local");
    if (mixerAttributes) {
      ctx.putContextExtensions("source.user", principal);
      ctx.putContextExtensions("source.namespace", principal.split("/")[2]);
    }
    return harness
        .authz
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(CheckRequest.newBuilder().setAttributes(ctx).build());
  }

  private static void assertAllowed(CheckResponse r) {
    assertThat(r.getStatus().getCode()).as(r.getStatus().getMessage()).isZero();
  }

  private static void assertDenied(CheckResponse r) {
    assertThat(r.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED.value());
    assertThat(r.getStatus().getMessage()).isEqualTo(DENIED);
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(r.getDeniedResponse().getBody()).contains("RBAC: permission denied.");
  }

  @Test
  void namespacePolicyThenServicePoliciesAsTheIstioTaskRanThem() throws Exception {
    use("istio-rbac-enable.yaml", "istio-rbac-namespace.yaml");
    harness = ServerHarness.start(List.of(dir));

    // Namespace policy: GET to any bookinfo service from a workload in default (or istio-system).
    for (String app : List.of("productpage", "details", "reviews", "ratings")) {
      assertAllowed(call(PRODUCTPAGE, "GET", app, true));
      assertDenied(call(PRODUCTPAGE, "POST", app, true));
    }
    assertAllowed(call(INGRESS, "GET", "productpage", true));
    assertDenied(call("cluster.local/ns/prod/sa/x", "GET", "details", true));
    assertDenied(call(PRODUCTPAGE, "GET", "mongodb", true)); // app not in the constraint

    // Service-level policies replace it (hot reload).
    use(
        "istio-rbac-enable.yaml",
        "istio-rbac-productpage.yaml",
        "istio-rbac-details-reviews.yaml",
        "istio-rbac-ratings.yaml");
    assertThat(harness.server.reload()).isTrue();

    assertAllowed(call(INGRESS, "GET", "productpage", true));
    assertDenied(call(PRODUCTPAGE, "GET", "productpage", true));
    assertAllowed(call(REVIEWS, "GET", "ratings", true));
    // istio-rbac-details-reviews.yaml lists the short names "details" and "reviews", while the
    // instance's action.service is destination.service, the host name: Mixer's exact match never
    // grants them (the sample's two halves disagree; Istio later wrote host names there).
    assertDenied(call(PRODUCTPAGE, "GET", "details", true));
    assertDenied(call(PRODUCTPAGE, "GET", "reviews", true));

    // The same role with host names, as Istio's later details-reviews policy wrote it.
    Path sample = dir.resolve("istio-rbac-details-reviews.yaml");
    Files.writeString(
        sample,
        Files.readString(sample)
            .replace(
                "[\"details\", \"reviews\"]",
                "[\"details.default.svc.cluster.local\", \"reviews.default.svc.cluster.local\"]"));
    assertThat(harness.server.reload()).isTrue();
    assertAllowed(call(PRODUCTPAGE, "GET", "details", true));
    assertAllowed(call(PRODUCTPAGE, "GET", "reviews", true));
    assertDenied(call(REVIEWS, "GET", "details", true));
    assertDenied(call(INGRESS, "GET", "reviews", true));
    assertAllowed(call(INGRESS, "GET", "productpage", true));
    assertAllowed(call(REVIEWS, "GET", "ratings", true));
    assertDenied(call(PRODUCTPAGE, "GET", "ratings", true));
    assertDenied(call(INGRESS, "GET", "ratings", true));
    // Outside every binding: a POST by the right account.
    assertDenied(call(PRODUCTPAGE, "POST", "details", true));
  }

  @Test
  void istio10SpellingNeedsOnlyThePrincipal() throws Exception {
    use("istio-rbac-enable.yaml", "rbac-1.0-namespace-policy.yaml");
    harness = ServerHarness.start(List.of(dir));
    assertAllowed(call(PRODUCTPAGE, "GET", "details", false));
    assertAllowed(call(INGRESS, "GET", "productpage", false));
    assertDenied(call(PRODUCTPAGE, "POST", "details", false));
    assertDenied(call("cluster.local/ns/prod/sa/x", "GET", "details", false));
    assertDenied(call(PRODUCTPAGE, "GET", "mongodb", false));
  }

  @Test
  void decisionsAreCachedByWhatTheyReadAndAHeaderNoRuleReadsDoesNotSplitTheCache()
      throws Exception {
    use("istio-rbac-enable.yaml", "rbac-1.0-namespace-policy.yaml");
    harness = ServerHarness.start(List.of(dir));
    assertAllowed(call(PRODUCTPAGE, "GET", "details", false, "x-user", "alice"));
    assertAllowed(call(PRODUCTPAGE, "GET", "details", false, "x-user", "bob"));
    assertAllowed(call(PRODUCTPAGE, "GET", "details", false, "x-user", "carol"));
    assertDenied(call(PRODUCTPAGE, "POST", "details", false, "x-user", "alice"));
    assertDenied(call(PRODUCTPAGE, "POST", "details", false, "x-user", "bob"));
    String metrics = harness.metrics();
    assertThat(ServerHarness.sum(metrics, "mixer_checkcache_cache_hits_total")).isEqualTo(3.0);
    assertThat(ServerHarness.sum(metrics, "mixer_checkcache_cache_misses_total")).isEqualTo(2.0);
  }

  @Test
  void offpathValidateAcceptsIstiosRbacSamplesWithTheConfigStoreWarning() {
    CliTest.Result r = CliTest.run("validate", MixerReference.dir().resolve("samples/rbac").toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out() + r.err())
        .contains(
            "handler 'handler.rbac.istio-system': config_store_url 'k8s://' is not used:"
                + " ServiceRole and ServiceRoleBinding objects are read from Offpath's config files");
  }
}
