package dev.offpath.accesslog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Duration;
import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.attribute.Vocabulary;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.ResponseFlags;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties.CertificateProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties.CertificateProperties.SubjectAltName;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EntryMappingTest {

  private final StreamReporter productpage = StreamReporter.of(Entries.productpage());

  @Test
  void everyAttributeIsInTheVocabularyWithTheRightJavaType() throws Exception {
    AttributeManifest vocabulary = Vocabulary.builtin();
    EntryAttributes a = EntryMapping.http(productpage, Entries.http(Entries.REVIEWS, 200));
    for (String name : EntryAttributes.NAMES) {
      // source.port is not in Istio's vocabulary; it is set as ext_authz sets it.
      if (!name.equals("source.port")) {
        assertThat(vocabulary.typeOf(name)).as(name).isNotNull();
      }
    }
    assertThat(a.get("source.port")).isEqualTo(40000L);
    for (String name : a.names()) {
      if (name.equals("source.port")) {
        continue;
      }
      assertThat(a.get(name)).as(name).isInstanceOf(javaClass(vocabulary.typeOf(name)));
    }
  }

  @Test
  void lookupByIdAgreesWithLookupByName() throws Exception {
    EntryAttributes a = EntryMapping.http(productpage, Entries.http(Entries.REVIEWS, 200));
    for (String name : EntryAttributes.NAMES) {
      assertThat(a.get(AttributeIds.of(name), name)).as(name).isSameAs(a.get(name));
    }
    assertThat(a.get(AttributeIds.of("request.not_an_entry_attribute"), "request.not_an_entry_attribute"))
        .isNull();
    assertThat(a.get("request.not_an_entry_attribute")).isNull();
  }

  private static Class<?> javaClass(ValueType type) {
    return switch (type) {
      case STRING, EMAIL_ADDRESS, DNS_NAME, URI -> String.class;
      case INT64 -> Long.class;
      case DOUBLE -> Double.class;
      case BOOL -> Boolean.class;
      case TIMESTAMP -> Instant.class;
      case DURATION -> java.time.Duration.class;
      case IP_ADDRESS -> IpAddress.class;
      case STRING_MAP -> StringMap.class;
    };
  }

  @Test
  void outboundHttpEntry() throws Exception {
    HTTPAccessLogEntry entry =
        Entries.http(Entries.REVIEWS, 503).toBuilder()
            .setCommonProperties(
                Entries.common(Entries.REVIEWS)
                    .setResponseFlags(
                        ResponseFlags.newBuilder().setNoHealthyUpstream(true).setNoRouteFound(true)))
            .setRequest(
                Entries.http(Entries.REVIEWS, 503).getRequest().toBuilder()
                    .putRequestHeaders("content-type", "application/grpc")
                    .putRequestHeaders("x-user", "alice"))
            .build();

    EntryAttributes a = EntryMapping.http(productpage, entry);

    assertThat(a.get("context.reporter.kind")).isEqualTo("outbound");
    assertThat(a.get("source.workload.name")).isEqualTo("productpage-v1");
    assertThat(a.get("source.workload.namespace")).isEqualTo("default");
    assertThat(a.get("source.name")).isEqualTo("productpage-v1-6b746f74dc-9stvs");
    assertThat(a.get("source.uid")).isEqualTo("kubernetes://productpage-v1-6b746f74dc-9stvs.default");
    assertThat(a.get("source.labels")).isEqualTo(StringMap.of(Map.of("app", "productpage", "version", "v1")));
    assertThat(a.get("destination.workload.name")).isNull();
    assertThat(a.get("source.ip")).isEqualTo(IpAddress.parse("10.1.0.7"));
    assertThat(a.get("destination.ip")).isEqualTo(IpAddress.parse("10.1.0.12"));
    assertThat(a.get("destination.port")).isEqualTo(9080L);
    assertThat(a.get("destination.service.host")).isEqualTo("reviews.default.svc.cluster.local");
    assertThat(a.get("destination.service.name")).isEqualTo("reviews");
    assertThat(a.get("destination.service.namespace")).isEqualTo("default");
    assertThat(a.get("destination.service.uid")).isEqualTo("istio://default/services/reviews");
    assertThat(a.get("request.method")).isEqualTo("GET");
    assertThat(a.get("request.path")).isEqualTo("/reviews/0?x=1");
    assertThat(a.get("request.url_path")).isEqualTo("/reviews/0");
    assertThat(a.get("request.host")).isEqualTo("reviews:9080");
    assertThat(a.get("request.size")).isEqualTo(20L);
    assertThat(a.get("request.total_size")).isEqualTo(120L);
    StringMap headers = (StringMap) a.get("request.headers");
    assertThat(headers.get("x-user")).isEqualTo("alice");
    assertThat(headers.get(":authority")).isEqualTo("reviews:9080");
    assertThat(headers.get("x-request-id")).isEqualTo("req-1");
    assertThat(headers.get("absent")).isNull();
    assertThat(a.get("response.code")).isEqualTo(503L);
    assertThat(a.get("response.size")).isEqualTo(300L);
    assertThat(a.get("response.total_size")).isEqualTo(350L);
    assertThat(a.get("response.duration")).isEqualTo(java.time.Duration.ofMillis(25));
    assertThat(a.get("request.time")).isEqualTo(Instant.ofEpochSecond(1_767_225_600L));
    assertThat(a.get("response.time")).isEqualTo(Instant.ofEpochSecond(1_767_225_600L).plusMillis(25));
    assertThat(a.get("context.protocol")).isEqualTo("grpc");
    assertThat(a.get("context.proxy_error_code")).isEqualTo("UH,NR");
    assertThat(a.get("connection.mtls")).isEqualTo(false);
  }

  @Test
  void inboundMtlsEntry() throws Exception {
    HTTPAccessLogEntry entry =
        Entries.http(Entries.PRODUCTPAGE_IN, 200).toBuilder()
            .setCommonProperties(
                Entries.common(Entries.PRODUCTPAGE_IN)
                    .setTlsProperties(
                        TLSProperties.newBuilder()
                            .setTlsSniHostname("productpage")
                            .setPeerCertificateProperties(
                                CertificateProperties.newBuilder()
                                    .addSubjectAltName(
                                        SubjectAltName.newBuilder()
                                            .setUri("spiffe://cluster.local/ns/default/sa/gateway")))
                            .setLocalCertificateProperties(
                                CertificateProperties.newBuilder()
                                    .addSubjectAltName(SubjectAltName.newBuilder().setDns("pp.local")))))
            .build();

    EntryAttributes a = EntryMapping.http(productpage, entry);

    assertThat(a.get("context.reporter.kind")).isEqualTo("inbound");
    assertThat(a.get("destination.workload.name")).isEqualTo("productpage-v1");
    assertThat(a.get("source.workload.name")).isNull();
    assertThat(a.get("destination.ip")).isEqualTo(IpAddress.parse("10.1.0.9"));
    assertThat(a.get("source.principal")).isEqualTo("cluster.local/ns/default/sa/gateway");
    assertThat(a.get("destination.principal")).isEqualTo("pp.local");
    assertThat(a.get("connection.mtls")).isEqualTo(true);
    assertThat(a.get("connection.requested_server_name")).isEqualTo("productpage");
    assertThat(a.get("context.protocol")).isEqualTo("http");
  }

  @Test
  void plainEnvoyClusterNamesAreTheHost() throws Exception {
    EntryAttributes a =
        EntryMapping.http(StreamReporter.ANONYMOUS, Entries.http("backend", 200));
    assertThat(a.get("destination.service.host")).isEqualTo("backend");
    assertThat(a.get("destination.service.name")).isEqualTo("backend");
    assertThat(a.get("destination.service.namespace")).isNull();
    assertThat(a.get("context.reporter.kind")).isEqualTo("inbound");
    assertThat(a.get("context.reporter.uid")).isNull();
  }

  @Test
  void clusterNamesMapTheSameOnEveryEntry() throws Exception {
    // The parsed service of a cluster name is kept; the second entry reads the kept one.
    for (int round = 0; round < 2; round++) {
      EntryAttributes noHost =
          EntryMapping.http(StreamReporter.ANONYMOUS, Entries.http("outbound|9080||", 200));
      assertThat(noHost.get("destination.service.host")).isNull();
      assertThat(noHost.get("destination.service.name")).isNull();

      EntryAttributes external =
          EntryMapping.http(StreamReporter.ANONYMOUS, Entries.http("outbound|443||httpbin.org", 200));
      assertThat(external.get("destination.service.host")).isEqualTo("httpbin.org");
      assertThat(external.get("destination.service.name")).isEqualTo("httpbin");
      assertThat(external.get("destination.service.namespace")).isNull();
      assertThat(external.get("destination.service.uid")).isNull();

      EntryAttributes odd =
          EntryMapping.http(StreamReporter.ANONYMOUS, Entries.http("a|b|c", 200));
      assertThat(odd.get("destination.service.host")).isEqualTo("a|b|c");

      EntryAttributes mesh =
          EntryMapping.http(StreamReporter.ANONYMOUS, Entries.http(Entries.RATINGS, 200));
      assertThat(mesh.get("destination.service.uid")).isEqualTo("istio://default/services/ratings");
    }
  }

  @Test
  void tcpEntry() throws Exception {
    EntryAttributes a =
        EntryMapping.tcp(
            productpage,
            Entries.tcp(Entries.RATINGS, "c", false, 10, 20).toBuilder()
                .setCommonProperties(
                    Entries.common(Entries.RATINGS).setDuration(Duration.newBuilder().setSeconds(2)))
                .build());
    assertThat(a.get("context.protocol")).isEqualTo("tcp");
    assertThat(a.get("connection.sent.bytes")).isEqualTo(10L);
    assertThat(a.get("connection.received.bytes_total")).isEqualTo(20L);
    assertThat(a.get("connection.duration")).isEqualTo(java.time.Duration.ofSeconds(2));
    assertThat(a.get("connection.event")).isEqualTo("close");
  }

  @Test
  void negativeDurationsAreMalformed() {
    MalformedEntryException e =
        catchThrowableOfType(
            MalformedEntryException.class,
            () ->
                EntryMapping.http(
                    productpage,
                    Entries.http(Entries.REVIEWS, 200).toBuilder()
                        .setCommonProperties(
                            Entries.common(Entries.REVIEWS)
                                .setTimeToLastDownstreamTxByte(Duration.newBuilder().setSeconds(-1)))
                        .build()));
    assertThat(e).hasMessage("negative duration: -1s");
  }

  /** Found by AccessLogEntryFuzzTest: Envoy's uint64 counts past the signed range read negative. */
  @Test
  void countsPastTheSignedRangeAndOutOfRangePortsAreMalformedNotNegative() throws Exception {
    HTTPAccessLogEntry http = Entries.http(Entries.REVIEWS, 200);
    MalformedEntryException body =
        catchThrowableOfType(
            MalformedEntryException.class,
            () ->
                EntryMapping.http(
                    productpage,
                    http.toBuilder()
                        .setRequest(http.getRequest().toBuilder().setRequestBodyBytes(-1))
                        .build()));
    assertThat(body).hasMessage("request_body_bytes out of range: 18446744073709551615");
    MalformedEntryException total =
        catchThrowableOfType(
            MalformedEntryException.class,
            () ->
                EntryMapping.http(
                    productpage,
                    http.toBuilder()
                        .setResponse(
                            http.getResponse().toBuilder()
                                .setResponseHeadersBytes(Long.MAX_VALUE)
                                .setResponseBodyBytes(1))
                        .build()));
    assertThat(total.getMessage()).startsWith("response size out of range");
    MalformedEntryException sent =
        catchThrowableOfType(
            MalformedEntryException.class,
            () ->
                EntryMapping.tcp(
                    productpage, Entries.tcp(Entries.REVIEWS, "c1", false, Long.MIN_VALUE, 1)));
    assertThat(sent).hasMessage("sent_bytes out of range: 9223372036854775808");
    MalformedEntryException port =
        catchThrowableOfType(
            MalformedEntryException.class,
            () ->
                EntryMapping.http(
                    productpage,
                    http.toBuilder()
                        .setCommonProperties(
                            Entries.common(Entries.REVIEWS)
                                .setDownstreamRemoteAddress(Entries.address("10.0.0.1", 70000)))
                        .build()));
    assertThat(port).hasMessage("downstream_remote port out of range: 70000");
    EntryAttributes big =
        EntryMapping.http(
            productpage,
            http.toBuilder()
                .setResponse(
                    http.getResponse().toBuilder()
                        .setResponseCode(com.google.protobuf.UInt32Value.of(-1)))
                .build());
    assertThat(big.get("response.code")).isEqualTo(4294967295L);
  }
}
