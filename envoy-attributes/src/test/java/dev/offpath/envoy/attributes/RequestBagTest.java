package dev.offpath.envoy.attributes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The slot-table bag and its lazy string maps, against the map-based reading of the same request. */
class RequestBagTest {

  private static final AttributeManifest MANIFEST =
      AttributeManifest.of(
          Map.of(
              "destination.service.name", ValueType.STRING,
              "source.workload.name", ValueType.STRING,
              "destination.port", ValueType.INT64));

  static AttributeContext request(Map<String, String> headers) {
    AttributeContext.Builder ctx = AttributeContext.newBuilder();
    ctx.getSourceBuilder()
        .setAddress(
            Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress("10.1.2.3").setPortValue(5000)))
        .setPrincipal("spiffe://cluster.local/ns/default/sa/a")
        .putLabels("app", "a");
    ctx.getRequestBuilder()
        .getHttpBuilder()
        .setMethod("GET")
        .setPath("/p?x=1&y=a%20b")
        .putAllHeaders(headers);
    ctx.putContextExtensions("destination.service.name", "reviews");
    ctx.putContextExtensions("source.workload.name", "productpage-v1");
    ctx.putContextExtensions("destination.port", "9080");
    return ctx.build();
  }

  @Test
  void aRequestTimeOutOfInstantsRangeIsAnInvalidRequest() {
    // Found by CheckRequestFuzzTest (corpus entry crash-request-time-out-of-range): a
    // DateTimeException escaped as an INTERNAL error.
    AttributeContext.Builder ctx = request(Map.of()).toBuilder();
    ctx.getRequestBuilder().getTimeBuilder().setSeconds(1L << 62);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> RequestAttributes.of(ctx.build(), MANIFEST, RequestLimits.DEFAULT))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessage("request.time out of range (expected: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)");
  }

  @Test
  void lookupByIdAnswersLikeLookupByNameForEveryAttribute() throws Exception {
    Attributes bag =
        RequestAttributes.of(
            request(Map.of("x-user", "alice", "user-agent", "curl")), MANIFEST, RequestLimits.DEFAULT);
    assertThat(bag.names())
        .contains("source.ip", "request.headers", "source.workload.name", "destination.port");
    for (String name : bag.names()) {
      assertThat(bag.get(AttributeIds.of(name), name)).as(name).isSameAs(bag.get(name));
    }
    // An overflow attribute (no slot) and a slot set by a context extension.
    assertThat(bag.get("source.workload.name")).isEqualTo("productpage-v1");
    assertThat(bag.get("destination.port")).isEqualTo(9080L);
    assertThat(bag.get(AttributeIds.of("no.such.attribute"), "no.such.attribute")).isNull();
    assertThat(bag.get("no.such.attribute")).isNull();
  }

  @Test
  void toStringListsThePresentAttributes() throws Exception {
    Attributes bag = RequestAttributes.of(request(Map.of("x-user", "alice")), MANIFEST, RequestLimits.DEFAULT);
    assertThat(bag.toString()).contains("request.method=GET");
  }

  @Test
  void lowerCaseHeadersAreAViewAndOthersAreLowerCasedCopies() throws Exception {
    AttributeContext ctx = request(Map.of("x-user", "alice"));
    StringMap lower =
        (StringMap) RequestAttributes.of(ctx, MANIFEST, RequestLimits.DEFAULT).get("request.headers");
    // A view of the request's own header map (protobuf's), not a copy (Map.copyOf's).
    assertThat(lower.asMap().getClass().getName())
        .doesNotStartWith("java.util.ImmutableCollections");
    assertThat(lower.get("x-user")).isEqualTo("alice");
    assertThat(lower.get("X-User")).isNull();
    assertThat(lower).isEqualTo(StringMap.of(Map.of("x-user", "alice")));
    assertThat(StringMap.of(Map.of("x-user", "alice"))).isEqualTo(lower);
    assertThat(lower.hashCode()).isEqualTo(StringMap.of(Map.of("x-user", "alice")).hashCode());

    Map<String, String> mixed = new HashMap<>();
    mixed.put("X-User", "bob");
    mixed.put("Caf\u00c9", "1");
    StringMap copied =
        (StringMap)
            RequestAttributes.of(request(mixed), MANIFEST, RequestLimits.DEFAULT)
                .get("request.headers");
    assertThat(copied.asMap()).isEqualTo(Map.of("x-user", "bob", "caf\u00e9", "1"));
    assertThat(copied.asMap().getClass().getName()).startsWith("java.util.ImmutableCollections");
  }

  @Test
  void queryParamsAreDecodedOnFirstReadAndCompareByEntries() throws Exception {
    StringMap params =
        (StringMap)
            RequestAttributes.of(request(Map.of()), MANIFEST, RequestLimits.DEFAULT)
                .get("request.query_params");
    assertThat(params).isInstanceOf(QueryParams.class);
    assertThat(params.get("y")).isEqualTo("a b");
    assertThat(params).isEqualTo(StringMap.of(Map.of("x", "1", "y", "a b")));
    assertThat(params.size()).isEqualTo(2);
    assertThat(QueryParams.decode("a=1&a=2&b&%zz=3#frag")).containsExactly(
        Map.entry("a", "1"), Map.entry("b", ""), Map.entry("%zz", "3"));
  }

  @Test
  void peerAddressesThatAreNoIpLeaveTheAttributeAbsent() {
    assertThat(RequestAttributes.ipAddress("10.1.2.3")).isEqualTo(IpAddress.parse("10.1.2.3"));
    assertThat(RequestAttributes.ipAddress("::1")).isEqualTo(IpAddress.parse("::1"));
    assertThat(RequestAttributes.ipAddress("/var/run/envoy.sock")).isNull();
    assertThat(RequestAttributes.ipAddress("256.1.1.1")).isNull();
  }
}
