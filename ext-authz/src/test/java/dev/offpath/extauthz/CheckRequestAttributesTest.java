package dev.offpath.extauthz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.envoy.attributes.InvalidRequestException;
import dev.offpath.envoy.attributes.LazyCheckRequest;
import dev.offpath.envoy.attributes.RequestAttributes;
import dev.offpath.envoy.attributes.RequestLimits;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The shared Envoy request mapping as ext_authz feeds it (requests built by {@link CheckRequests}).
 * Every request goes through both paths: protobuf-java's parser + {@link RequestAttributes#of}, and
 * {@link LazyCheckRequest} on the request's bytes. {@link #map} checks they agree (same refusal, or
 * the same names and values) and returns the lazy bag, so each test's assertions hold for both.
 */
class CheckRequestAttributesTest {

  private static final AttributeManifest MANIFEST =
      AttributeManifest.of(
          Map.of(
              "destination.service.host", ValueType.STRING,
              "destination.port", ValueType.INT64,
              "source.ip", ValueType.IP_ADDRESS));

  private static Attributes map(CheckRequest request) throws InvalidRequestException {
    return map(request, RequestLimits.DEFAULT);
  }

  private static Attributes map(CheckRequest request, RequestLimits limits)
      throws InvalidRequestException {
    Attributes parsed;
    try {
      parsed = RequestAttributes.of(request.getAttributes(), MANIFEST, limits);
    } catch (InvalidRequestException e) {
      assertThatThrownBy(() -> lazy(request).attributes(MANIFEST, limits))
          .isInstanceOf(InvalidRequestException.class)
          .hasMessage(e.getMessage());
      throw e;
    }
    Attributes lazy = lazy(request).attributes(MANIFEST, limits);
    Set<String> names = new LinkedHashSet<>(parsed.names());
    names.addAll(MANIFEST.all().keySet());
    names.addAll(List.of("request.query_params", "request.headers", "request.auth.claims", "source.labels"));
    for (String name : names) {
      assertThat(lazy.get(AttributeIds.of(name), name)).as(name).isEqualTo(parsed.get(name));
    }
    assertThat(lazy.names()).isEqualTo(parsed.names());
    return lazy;
  }

  private static LazyCheckRequest lazy(CheckRequest request) {
    try {
      return LazyCheckRequest.parse(request.toByteArray());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("a serialized request does not scan", e);
    }
  }

  private static Map<String, String> attrs(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void mapsPeersRequestAndDerivedAttributes() throws Exception {
    CheckRequest req =
        CheckRequests.fromAttributes(
            attrs(
                "source.ip", "10.1.2.3",
                "source.port", "51000",
                "source.principal", "spiffe://cluster.local/ns/default/sa/frontend",
                "destination.ip", "2001:db8::1",
                "destination.port", "8080",
                "request.id", "req-1",
                "request.method", "POST",
                "request.path", "/api/items?limit=10&q=a%20b",
                "request.host", "shop.example.com",
                "request.scheme", "https",
                "request.size", "42",
                "request.time", "2026-01-02T03:04:05Z",
                "request.headers[User-Agent]", "curl/8",
                "request.headers[referer]", "https://example.com/",
                "request.headers[content-type]", "application/grpc+proto",
                "connection.requested_server_name", "shop.example.com"));
    Attributes a = map(req);
    assertThat(a.get("source.ip")).isEqualTo(IpAddress.parse("10.1.2.3"));
    assertThat(a.get("source.port")).isEqualTo(51000L);
    assertThat(a.get("source.principal")).isEqualTo("spiffe://cluster.local/ns/default/sa/frontend");
    assertThat(a.get("destination.ip")).isEqualTo(IpAddress.parse("2001:db8::1"));
    assertThat(a.get("destination.port")).isEqualTo(8080L);
    assertThat(a.get("request.id")).isEqualTo("req-1");
    assertThat(a.get("request.method")).isEqualTo("POST");
    assertThat(a.get("request.path")).isEqualTo("/api/items?limit=10&q=a%20b");
    assertThat(a.get("request.url_path")).isEqualTo("/api/items");
    assertThat(a.get("request.query_params"))
        .isEqualTo(StringMap.of(Map.of("limit", "10", "q", "a b")));
    assertThat(a.get("request.host")).isEqualTo("shop.example.com");
    assertThat(a.get("request.scheme")).isEqualTo("https");
    assertThat(a.get("request.size")).isEqualTo(42L);
    assertThat(a.get("request.time")).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
    assertThat(a.get("context.time")).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
    assertThat(((StringMap) a.get("request.headers")).get("user-agent")).isEqualTo("curl/8");
    assertThat(a.get("request.useragent")).isEqualTo("curl/8");
    assertThat(a.get("request.referer")).isEqualTo("https://example.com/");
    assertThat(a.get("context.protocol")).isEqualTo("grpc");
    assertThat(a.get("connection.mtls")).isEqualTo(true);
    assertThat(a.get("connection.requested_server_name")).isEqualTo("shop.example.com");
  }

  @Test
  void emptyFieldsStayAbsent() throws Exception {
    Attributes a = map(CheckRequest.getDefaultInstance());
    assertThat(a.names()).containsExactlyInAnyOrder("connection.mtls");
    assertThat(a.get("connection.mtls")).isEqualTo(false);
  }

  @Test
  void unixSocketPeerHasNoIp() throws Exception {
    CheckRequest req = CheckRequests.fromAttributes(attrs("source.ip", "/var/run/envoy.sock"));
    assertThat(map(req).get("source.ip")).isNull();
  }

  @Test
  void contextExtensionsSetDeclaredAttributesWithTheirTypes() throws Exception {
    CheckRequest req =
        CheckRequests.fromAttributes(
            attrs(
                "destination.service.host", "reviews.default.svc.cluster.local",
                "undeclared.thing", "x"));
    Attributes a = map(req);
    assertThat(a.get("destination.service.host")).isEqualTo("reviews.default.svc.cluster.local");
    assertThat(a.get("undeclared.thing")).isNull();
  }

  @Test
  void headerMapEntriesMergeAndRepeatedHeadersJoin() throws Exception {
    AttributeContext.Builder ctx = AttributeContext.newBuilder();
    ctx.getRequestBuilder()
        .getHttpBuilder()
        .setMethod("GET")
        .setHeaderMap(
            HeaderMap.newBuilder()
                .addHeaders(HeaderValue.newBuilder().setKey("X-Tag").setValue("a"))
                .addHeaders(HeaderValue.newBuilder().setKey("x-tag").setValue("b"))
                .addHeaders(
                    HeaderValue.newBuilder()
                        .setKey(":path")
                        .setRawValue(com.google.protobuf.ByteString.copyFromUtf8("/raw?x=1"))));
    Attributes a = map(CheckRequest.newBuilder().setAttributes(ctx).build());
    assertThat(((StringMap) a.get("request.headers")).get("x-tag")).isEqualTo("a,b");
    assertThat(a.get("request.path")).isEqualTo("/raw?x=1");
    assertThat(a.get("request.url_path")).isEqualTo("/raw");
  }

  @Test
  void jwtPayloadFromJwtAuthnMetadata() throws Exception {
    Struct payload =
        Struct.newBuilder()
            .putFields("iss", Value.newBuilder().setStringValue("https://issuer.example").build())
            .putFields("sub", Value.newBuilder().setStringValue("alice").build())
            .putFields("aud", Value.newBuilder().setStringValue("shop").build())
            .putFields("azp", Value.newBuilder().setStringValue("web").build())
            .putFields("exp", Value.newBuilder().setNumberValue(1767225600).build())
            .putFields(
                "groups",
                Value.newBuilder()
                    .setListValue(
                        ListValue.newBuilder()
                            .addValues(Value.newBuilder().setStringValue("admin"))
                            .addValues(Value.newBuilder().setStringValue("dev")))
                    .build())
            .build();
    AttributeContext ctx =
        AttributeContext.newBuilder()
            .setMetadataContext(
                Metadata.newBuilder()
                    .putFilterMetadata(
                        RequestAttributes.JWT_FILTER,
                        Struct.newBuilder()
                            .putFields("jwt_payload", Value.newBuilder().setStructValue(payload).build())
                            .build()))
            .build();
    Attributes a = map(CheckRequest.newBuilder().setAttributes(ctx).build());
    assertThat(a.get("request.auth.principal")).isEqualTo("https://issuer.example/alice");
    assertThat(a.get("request.auth.audiences")).isEqualTo("shop");
    assertThat(a.get("request.auth.presenter")).isEqualTo("web");
    StringMap claims = (StringMap) a.get("request.auth.claims");
    assertThat(claims.get("exp")).isEqualTo("1767225600");
    assertThat(claims.get("groups")).isEqualTo("admin,dev");
  }

  @Test
  void tooManyHeadersIsAnInvalidRequest() {
    AttributeContext.Builder ctx = AttributeContext.newBuilder();
    for (int i = 0; i < 11; i++) {
      ctx.getRequestBuilder().getHttpBuilder().putHeaders("h" + i, "v");
    }
    CheckRequest req = CheckRequest.newBuilder().setAttributes(ctx).build();
    assertThatThrownBy(() -> map(req, new RequestLimits(10, 1000)))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessage("too many request headers: 11 (limit: 10)");
    assertThatThrownBy(() -> map(req, new RequestLimits(20, 25)))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessage("request headers too large: 34 bytes (limit: 25)");
  }

  @Test
  void requestTimeOutOfRangeIsAnInvalidRequestNotACrash() {
    for (Timestamp t :
        new Timestamp[] {
          Timestamp.newBuilder().setSeconds(Long.MAX_VALUE).build(),
          Timestamp.newBuilder().setSeconds(Long.MIN_VALUE).build(),
          Timestamp.newBuilder().setSeconds(1).setNanos(-1).build(),
          Timestamp.newBuilder().setSeconds(253_402_300_800L).build()
        }) {
      AttributeContext.Builder ctx = AttributeContext.newBuilder();
      ctx.getRequestBuilder().setTime(t);
      CheckRequest req = CheckRequest.newBuilder().setAttributes(ctx).build();
      assertThatThrownBy(() -> map(req))
          .isInstanceOf(InvalidRequestException.class)
          .hasMessage("request.time out of range (expected: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)");
    }
  }

  @Test
  void requestTimeKeepsNanos() throws Exception {
    AttributeContext.Builder ctx = AttributeContext.newBuilder();
    ctx.getRequestBuilder().setTime(Timestamp.newBuilder().setSeconds(10).setNanos(5));
    Attributes a = map(CheckRequest.newBuilder().setAttributes(ctx).build());
    assertThat(a.get("request.time")).isEqualTo(Instant.ofEpochSecond(10, 5));
  }

  @Test
  void badContextValuesInTheCliBuilderNameTheAttribute() {
    assertThatThrownBy(() -> CheckRequests.fromAttributes(attrs("source.port", "http")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("source.port: 'http'");
  }
}
