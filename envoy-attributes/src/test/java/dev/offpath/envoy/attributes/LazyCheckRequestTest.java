package dev.offpath.envoy.attributes;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.envoy.attributes.Differential.Outcome;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.Pipe;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link LazyCheckRequest} against protobuf-java + {@link RequestAttributes#of} ({@link
 * Differential}) on requests chosen for the mapping's and the wire format's corners, each under the
 * built-in vocabulary and a small manifest, the default limits and small ones. The mapping tests'
 * own requests run through both paths in ext-authz's {@code CheckRequestAttributesTest}; the same
 * comparison on arbitrary bytes is {@link LazyCheckRequestFuzzTest}.
 */
class LazyCheckRequestTest {

  private static final AttributeManifest SMALL_MANIFEST =
      AttributeManifest.of(
          Map.of(
              "destination.service.name", ValueType.STRING,
              "source.workload.name", ValueType.STRING,
              "destination.port", ValueType.INT64,
              "request.method", ValueType.STRING,
              "source.ip", ValueType.IP_ADDRESS));

  // ---- wire helpers ----

  static byte[] cat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] varint(long v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while ((v & ~0x7FL) != 0) {
      out.write((int) (v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.write((int) v);
    return out.toByteArray();
  }

  static byte[] tag(int number, int wireType) {
    return varint((long) number << 3 | wireType);
  }

  static byte[] len(int number, byte[]... content) {
    byte[] c = cat(content);
    return cat(tag(number, 2), varint(c.length), c);
  }

  static byte[] str(int number, String s) {
    return len(number, s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** A CheckRequest whose attributes are {@code context} (AttributeContext bytes). */
  static byte[] check(byte[]... context) {
    return len(1, context);
  }

  /** AttributeContext.request.http with {@code fields}. */
  static byte[] http(byte[]... fields) {
    return len(4, len(2, fields));
  }

  static byte[] header(String k, String v) {
    return len(3, str(1, k), str(2, v));
  }

  static byte[] proto(AttributeContext ctx) {
    return CheckRequest.newBuilder().setAttributes(ctx).build().toByteArray();
  }

  /** The load driver's request shape: peers, 12 headers, a context extension. */
  static AttributeContext typical() {
    AttributeContext.Builder ctx = AttributeContext.newBuilder();
    ctx.getSourceBuilder()
        .setAddress(
            Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress("10.1.0.7").setPortValue(40007)))
        .setPrincipal("spiffe://cluster.local/ns/default/sa/productpage");
    ctx.getDestinationBuilder()
        .setAddress(
            Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress("10.1.3.12").setPortValue(9080)))
        .setPrincipal("spiffe://cluster.local/ns/default/sa/reviews");
    ctx.getRequestBuilder()
        .getHttpBuilder()
        .setId("0000-1")
        .setMethod("GET")
        .setPath("/api/v1/reviews/7?x=1")
        .setHost("reviews.default.svc.cluster.local:9080")
        .setScheme("http")
        .setProtocol("HTTP/1.1")
        .putHeaders(":authority", "reviews.default.svc.cluster.local:9080")
        .putHeaders(":method", "GET")
        .putHeaders(":path", "/api/v1/reviews/7?x=1")
        .putHeaders(":scheme", "http")
        .putHeaders("accept", "application/json")
        .putHeaders("accept-encoding", "gzip, deflate")
        .putHeaders("user-agent", "curl")
        .putHeaders("x-request-id", "0000-1")
        .putHeaders("x-b3-traceid", "0123456789abcdef0123456789abcdef")
        .putHeaders("x-b3-spanid", "0123456789abcdef")
        .putHeaders("x-forwarded-proto", "http")
        .putHeaders("x-user", "user-7");
    ctx.putContextExtensions("destination.service.name", "reviews");
    return ctx.build();
  }

  static Stream<Arguments> cases() {
    List<Arguments> c = new ArrayList<>();
    c.add(Arguments.of("empty", new byte[0]));
    c.add(Arguments.of("typical", proto(typical())));
    // RequestBagTest's requests.
    c.add(Arguments.of("bag-no-headers", proto(RequestBagTest.request(Map.of()))));
    c.add(Arguments.of("bag-lower-case", proto(RequestBagTest.request(Map.of("x-user", "alice", "user-agent", "curl")))));
    c.add(Arguments.of("bag-mixed-case", proto(RequestBagTest.request(Map.of("X-User", "bob", "Caf\u00c9", "1")))));
    AttributeContext t = typical();
    // Mixed-case and non-ASCII header names: a lower-cased copy; "X-A" and "x-a" collide.
    c.add(Arguments.of("mixed-case-headers", proto(t.toBuilder().setRequest(t.getRequest().toBuilder()
        .setHttp(t.getRequest().getHttp().toBuilder().putHeaders("X-User", "bob").putHeaders("Caf\u00c9", "1")
            .putHeaders("x-user", "carol"))).build())));
    c.add(Arguments.of("header-collision", check(http(header("X-A", "1"), header("x-a", "2"), header("X-A", "3")))));
    // Without path and host: the :path and :authority headers; a gRPC content type.
    c.add(Arguments.of("pseudo-headers", check(http(str(2, "POST"), header(":path", "/p?q=%41"),
        header(":authority", "h"), header("content-type", "application/grpc+proto"), header("referer", "r")))));
    c.add(Arguments.of("headers-without-method", check(http(header("content-type", "text/plain")))));
    c.add(Arguments.of("size", check(http(str(2, "GET"), tag(9, 0), varint(-1L)))));
    // A 10-byte varint: protobuf-java's array decoder sets bit 63 whatever the 10th byte (fuzzer).
    for (int last : new int[] {0, 1, 0x14}) {
      byte[] v = new byte[10];
      java.util.Arrays.fill(v, (byte) 0xFF);
      v[9] = (byte) last;
      c.add(Arguments.of("size-10-byte-varint-" + last, check(http(str(2, "GET"), tag(9, 0), v))));
      c.add(Arguments.of("seconds-10-byte-varint-" + last, check(len(4, len(1, tag(1, 0), v)))));
    }
    c.add(Arguments.of("size-positive", check(http(str(2, "GET"), tag(9, 0), varint(42)))));
    c.add(Arguments.of("size-without-method", check(http(tag(9, 0), varint(42)))));
    // Merging: attributes twice; http twice, the second clearing the method with an empty string.
    c.add(Arguments.of("merged", cat(proto(t), check(http(str(2, ""), header("x-user", "dave"), header("new", "n"))))));
    c.add(Arguments.of("merged-path-cleared", cat(check(http(str(4, "/a"))), check(http(str(4, ""), header(":path", "/b"))))));
    // Oneofs: socket address, pipe, socket address (protobuf merges both socket addresses).
    byte[] sa1 = len(1, str(2, "1.2.3.4"), tag(3, 0), varint(80));
    byte[] pipe = len(2, str(1, "/tmp/sock"));
    byte[] sa2 = len(1, tag(3, 0), varint(81));
    c.add(Arguments.of("oneof-stale", check(len(1, len(1, sa1, pipe, sa2)))));
    c.add(Arguments.of("oneof-pipe-last", check(len(1, len(1, sa1)), len(1, len(1, pipe)))));
    c.add(Arguments.of("oneof-internal", check(len(2, len(1, len(3, str(1, "l")))))));
    c.add(Arguments.of("port-negative", check(len(1, len(1, len(1, str(2, "::1"), tag(3, 0), varint(0xFFFF_FFFFL)))))));
    c.add(Arguments.of("port-10-byte-varint", check(len(1, len(1, len(1, tag(3, 0), varint(-3L)))))));
    c.add(Arguments.of("named-port-last", check(len(1, len(1, len(1, tag(3, 0), varint(5), str(4, "http")))))));
    c.add(Arguments.of("port-after-named", check(len(1, len(1, len(1, str(4, "http"), tag(3, 0), varint(5)))))));
    c.add(Arguments.of("pipe-peer", proto(AttributeContext.newBuilder().setSource(AttributeContext.Peer.newBuilder()
        .setAddress(Address.newBuilder().setPipe(Pipe.newBuilder().setPath("/p"))).setCertificate("pem")).build())));
    c.add(Arguments.of("not-an-ip", check(len(2, len(1, len(1, str(2, "example.com")))))));
    c.add(Arguments.of("labels", proto(AttributeContext.newBuilder().setDestination(AttributeContext.Peer.newBuilder()
        .putLabels("app", "reviews").putLabels("version", "v1")).build())));
    c.add(Arguments.of("labels-duplicate-key", check(len(1, len(3, str(1, "a"), str(2, "1")), len(3, str(1, "a"))))));
    // header_map (raw values), alone and beside plain headers.
    AttributeContext.Builder hm = AttributeContext.newBuilder();
    hm.getRequestBuilder().getHttpBuilder().setMethod("GET").putHeaders("plain", "p").setHeaderMap(HeaderMap.newBuilder()
        .addHeaders(HeaderValue.newBuilder().setKey("X-Tag").setValue("a"))
        .addHeaders(HeaderValue.newBuilder().setKey("x-tag").setRawValue(ByteString.copyFrom(new byte[] {(byte) 0xff, 'b'})))
        .addHeaders(HeaderValue.newBuilder().setKey(":path").setRawValue(ByteString.copyFromUtf8("/raw?x=1"))));
    c.add(Arguments.of("header-map", proto(hm.build())));
    // Time: in range with nanos, out of range, negative nanos.
    c.add(Arguments.of("time", check(len(4, len(1, tag(1, 0), varint(1_700_000_000L), tag(2, 0), varint(5))))));
    c.add(Arguments.of("time-empty", check(len(4, len(1)))));
    c.add(Arguments.of("time-out-of-range", check(len(4, len(1, tag(1, 0), varint(1L << 62))))));
    c.add(Arguments.of("time-negative-nanos", check(len(4, len(1, tag(2, 0), varint(-1L))))));
    c.add(Arguments.of("time-merged", check(len(4, len(1, tag(1, 0), varint(1L << 62))), len(4, len(1, tag(1, 0), varint(7))))));
    // Context extensions: replacing mapped attributes, of the wrong type, repeated.
    c.add(Arguments.of("extensions", check(len(10, str(1, "request.method"), str(2, "PATCH")), len(10, str(1, "source.ip"), str(2, "10.9.9.9")),
        len(10, str(1, "destination.port"), str(2, "80")), len(10, str(1, "destination.port"), str(2, "eighty")),
        len(10, str(1, "source.workload.name"), str(2, "w")), len(10, str(1, "request.headers"), str(2, "a=1")),
        len(10, str(1, "request.useragent"), str(2, "")), len(10, str(2, "keyless")), http(str(2, "GET")))));
    // TLS, mTLS by certificate.
    c.add(Arguments.of("tls", check(len(12, str(1, "sni.example")), len(1, str(5, "cert")))));
    // JWT payload in metadata, nested under its name, and at the top of the filter's struct.
    Struct payload = Struct.newBuilder()
        .putFields("iss", Value.newBuilder().setStringValue("https://issuer").build())
        .putFields("sub", Value.newBuilder().setStringValue("alice").build())
        .putFields("aud", Value.newBuilder().setListValue(ListValue.newBuilder()
            .addValues(Value.newBuilder().setStringValue("a")).addValues(Value.newBuilder().setNumberValue(1.5))).build())
        .putFields("exp", Value.newBuilder().setNumberValue(1767225600).build())
        .build();
    c.add(Arguments.of("jwt-nested", proto(AttributeContext.newBuilder().setMetadataContext(Metadata.newBuilder()
        .putFilterMetadata(RequestAttributes.JWT_FILTER, Struct.newBuilder()
            .putFields("jwt_payload", Value.newBuilder().setStructValue(payload).build()).build())).build())));
    byte[] jwtTop = proto(AttributeContext.newBuilder().setMetadataContext(Metadata.newBuilder()
        .putFilterMetadata(RequestAttributes.JWT_FILTER, payload)).build());
    c.add(Arguments.of("jwt-top", jwtTop));
    c.add(Arguments.of("jwt-merged", cat(jwtTop, proto(AttributeContext.newBuilder().setMetadataContext(Metadata.newBuilder()
        .putFilterMetadata(RequestAttributes.JWT_FILTER, Struct.newBuilder()
            .putFields("sub", Value.newBuilder().setStringValue("bob").build()).build())).build()))));
    // Limits: 12 copies of one header are 1 header; 300 distinct ones are too many.
    List<byte[]> same = new ArrayList<>();
    List<byte[]> many = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      if (i < 12) {
        same.add(header("x", "v" + i));
      }
      many.add(header("h" + i, "v"));
    }
    c.add(Arguments.of("repeated-header", check(http(same.toArray(byte[][]::new)))));
    c.add(Arguments.of("too-many-headers", check(http(many.toArray(byte[][]::new)))));
    c.add(Arguments.of("header-too-large", check(http(header("big", "x".repeat(70_000))))));
    c.add(Arguments.of("header-multibyte", check(http(header("k", "\u00e9".repeat(150))))));
    // The wire format: unknown fields, a known number with another wire type, groups.
    c.add(Arguments.of("unknown-fields", cat(tag(99, 0), varint(1), tag(98, 1), new byte[8], tag(97, 5), new byte[4],
        check(tag(50, 2), varint(1), new byte[] {(byte) 0xff}, http(tag(2, 0), varint(3), str(2, "GET"), tag(4, 5), new byte[4])))));
    c.add(Arguments.of("group", check(tag(7, 3), tag(1, 0), varint(1), tag(2, 3), tag(2, 4), tag(7, 4), http(str(2, "GET")))));
    c.add(Arguments.of("group-in-map-entry", check(len(10, str(1, "request.method"), tag(5, 3), tag(6, 3), tag(6, 4), tag(5, 4), str(2, "X")))));
    c.add(Arguments.of("group-unclosed", check(tag(7, 3), tag(1, 0), varint(1))));
    c.add(Arguments.of("group-wrong-end", check(tag(7, 3), tag(8, 4))));
    c.add(Arguments.of("end-group-top", cat(check(http(str(2, "GET"))), tag(3, 4))));
    c.add(Arguments.of("end-group-nested", check(http(tag(3, 4)))));
    c.add(Arguments.of("wire-type-6", check(tag(3, 6))));
    c.add(Arguments.of("wire-type-7", cat(tag(3, 7), varint(0))));
    c.add(Arguments.of("tag-zero", check(new byte[] {0, 0})));
    c.add(Arguments.of("truncated", java.util.Arrays.copyOf(proto(t), 200)));
    c.add(Arguments.of("length-past-end", new byte[] {10, 5, 1}));
    c.add(Arguments.of("negative-length", cat(tag(1, 2), varint(0xFFFF_FFFFL))));
    c.add(Arguments.of("long-length", cat(tag(1, 2), new byte[] {(byte) 0x82, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0xF0, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0}, tag(2, 0), varint(1))));
    c.add(Arguments.of("varint-11-bytes", cat(tag(3, 0), new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1})));
    c.add(Arguments.of("bad-utf8-mapped", check(http(str(2, "G"), len(2, new byte[] {(byte) 0xC0, (byte) 0x80})))));
    c.add(Arguments.of("bad-utf8-unmapped", check(http(len(11, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})))));
    c.add(Arguments.of("bad-utf8-service", check(len(1, len(2, new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80})))));
    c.add(Arguments.of("bad-utf8-map-key", check(http(len(3, len(1, new byte[] {(byte) 0xFF}))))));
    c.add(Arguments.of("bad-utf8-in-bytes-ok", check(http(len(12, new byte[] {(byte) 0xFF})))));
    c.add(Arguments.of("bad-utf8-in-unknown-ok", check(len(1, len(9, new byte[] {(byte) 0xFF})))));
    c.add(Arguments.of("good-utf8", check(http(str(2, "\u00e9\u20ac\ud83d\ude00"), str(11, "\uffff\u0800\u07ff")))));
    for (int k = 30; k <= 33; k++) {
      c.add(Arguments.of("struct-nesting-" + k, deepMetadata(k)));
    }
    for (int depth = 97; depth <= 101; depth++) {
      c.add(Arguments.of("group-depth-" + depth, deepGroups(depth)));
    }
    return c.stream();
  }

  /**
   * metadata_context whose JWT filter struct nests {@code k} times (entry → Value → Struct, three
   * levels each): the innermost struct's fields are read at depth 4 + 3k, around the limit of 100.
   */
  static byte[] deepMetadata(int k) {
    byte[] struct = new byte[0];
    for (int i = 0; i < k; i++) {
      struct = len(1, str(1, "k"), len(2, len(5, struct)));
    }
    return check(len(11, len(1, str(1, RequestAttributes.JWT_FILTER), len(2, struct))));
  }

  /** Unknown groups nested in AttributeContext down to {@code depth}. */
  static byte[] deepGroups(int depth) {
    byte[] body = new byte[0];
    for (int d = depth; d >= 1; d--) {
      body = cat(tag(20, 3), body, tag(20, 4));
    }
    return check(body);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void lazyMatchesParsed(String name, byte[] bytes) {
    for (AttributeManifest manifest : new AttributeManifest[] {Vocabulary.builtin(), SMALL_MANIFEST}) {
      Differential.compare(bytes, manifest, RequestLimits.DEFAULT);
      Differential.compare(bytes, manifest, new RequestLimits(10, 300));
    }
  }

  @Test
  void theCasesReachEveryOutcome() {
    Map<Outcome, Integer> seen = new LinkedHashMap<>();
    cases().forEach(a -> {
      byte[] bytes = (byte[]) a.get()[1];
      seen.merge(Differential.compare(bytes, Vocabulary.builtin(), RequestLimits.DEFAULT).outcome(), 1, Integer::sum);
    });
    assertThat(seen).containsKeys(Outcome.values());
  }

  @Test
  void headersAreReadWithoutDecodingTheMap() throws Exception {
    LazyCheckRequest request = LazyCheckRequest.parse(proto(typical()));
    var bag = request.attributes(Vocabulary.builtin(), RequestLimits.DEFAULT);
    StringMap headers = (StringMap) bag.get("request.headers");
    assertThat(headers).isInstanceOf(LazyHeaders.class);
    assertThat(headers.get("x-user")).isEqualTo("user-7");
    assertThat(headers.get("X-User")).isNull();
    assertThat(headers.get("x-us\u00e9r")).isNull();
    assertThat(headers.size()).isEqualTo(12);
    assertThat(bag.get("destination.service.name")).isEqualTo("reviews");
    assertThat(request.requestId()).isEqualTo("0000-1");
    assertThat(request.toProto().getAttributes()).isEqualTo(typical());
  }
}
