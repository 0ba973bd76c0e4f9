package dev.offpath.accesslog;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.core.time.FakeTicker;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.Pipe;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.ConnectionProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.ResponseFlags;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties.CertificateProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties.CertificateProperties.SubjectAltName;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.HTTPAccessLogEntries;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.Identifier;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.TCPAccessLogEntries;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Fuzzes access-log entry → attributes: {@link StreamReporter#of} for a stream's identifier, {@link
 * EntryMapping#http} and {@link EntryMapping#tcp} for its HTTP and TCP entries, TCP byte counts
 * through a stream's {@link TcpByteCounts} as {@link AccessLogService} keeps them. The message is
 * either any byte string protobuf parses as a {@code StreamAccessLogsMessage} or one built field by
 * field from the fuzz data ({@link FuzzedDataProvider}: the last byte picks which), so that the
 * fuzzer reaches the mapping's branches (Istio cluster names, addresses, TLS, byte counts, times
 * near the ends of their ranges) without having to learn the wire format first.
 *
 * <p>Invariants, for every entry: the mapping returns a bag or throws {@link
 * MalformedEntryException} with a message (the entry is counted as dropped), nothing else; the bag
 * names only attributes of the access-log table, each with a non-null value of its vocabulary type,
 * read alike by name and by id; sizes, byte counts and durations are never negative (Envoy's
 * counters are unsigned: one that does not fit a signed 64-bit number makes the entry malformed,
 * not a negative count).
 *
 * <p>{@code ./offpath test} replays the seed corpus in {@code AccessLogEntryFuzzTestInputs/} (test
 * resources) and every crash found so far; {@code .ci/fuzz AccessLogEntryFuzzTest} fuzzes (README
 * "Security").
 */
class AccessLogEntryFuzzTest {

  private static final AttributeManifest VOCABULARY = Vocabulary.builtin();

  /** Attributes that count something, ports and status codes: never negative. */
  private static final Set<String> COUNTS =
      Set.of(
          "source.port",
          "destination.port",
          "response.code",
          "request.size",
          "request.total_size",
          "response.size",
          "response.total_size",
          "connection.sent.bytes",
          "connection.sent.bytes_total",
          "connection.received.bytes",
          "connection.received.bytes_total");

  @FuzzTest(maxDuration = "5m")
  void mapEntries(FuzzedDataProvider data) {
    StreamAccessLogsMessage message;
    if (data.consumeBoolean()) {
      try {
        message = StreamAccessLogsMessage.parseFrom(data.consumeRemainingAsBytes());
      } catch (InvalidProtocolBufferException e) {
        return;
      }
    } else {
      message = build(data);
    }
    StreamReporter reporter =
        message.hasIdentifier() ? StreamReporter.of(message.getIdentifier()) : StreamReporter.ANONYMOUS;
    TcpByteCounts connections =
        new TcpByteCounts(4, 1_000_000_000L, new FakeTicker(), new LongAdder(), new LongAdder());
    for (HTTPAccessLogEntry e : message.getHttpLogs().getLogEntryList()) {
      try {
        check(EntryMapping.http(reporter, e));
      } catch (MalformedEntryException ex) {
        assertThat(ex.getMessage()).isNotBlank();
      }
    }
    for (TCPAccessLogEntry e : message.getTcpLogs().getLogEntryList()) {
      try {
        check(tcp(reporter, connections, e));
      } catch (MalformedEntryException ex) {
        assertThat(ex.getMessage()).isNotBlank();
      }
    }
    assertThat(connections.size()).isLessThanOrEqualTo(4);
  }

  /** As {@link AccessLogService}'s stream maps a TCP entry: deltas per connection. */
  @SuppressWarnings("deprecation") // intermediate_log_entry, as Envoy sends it
  private static EntryAttributes tcp(
      StreamReporter reporter, TcpByteCounts connections, TCPAccessLogEntry e)
      throws MalformedEntryException {
    String conn = e.getCommonProperties().getStreamId();
    long sent = e.getConnectionProperties().getSentBytes();
    long received = e.getConnectionProperties().getReceivedBytes();
    if (conn.isEmpty()) {
      return EntryMapping.tcp(reporter, e, sent, received);
    }
    long[] delta =
        connections.delta(conn, sent, received, !e.getCommonProperties().getIntermediateLogEntry());
    return EntryMapping.tcp(reporter, e, delta[0], delta[1]);
  }

  private static void check(EntryAttributes bag) {
    for (String name : bag.names()) {
      assertThat(EntryAttributes.NAMES).as("an access-log attribute").contains(name);
      Object value = bag.get(name);
      assertThat(value).as(name).isNotNull();
      assertThat(bag.get(AttributeIds.of(name), name)).as(name).isSameAs(value);
      // source.port is not in Istio's vocabulary; it is an INT64 as ext_authz sets it.
      ValueType type = name.equals("source.port") ? ValueType.INT64 : VOCABULARY.typeOf(name);
      assertThat(type).as(name).isNotNull();
      assertThat(value).as(name).isInstanceOf(javaClass(type));
      if (COUNTS.contains(name)) {
        assertThat((Long) value).as(name).isNotNegative();
      }
      if (value instanceof java.time.Duration d) {
        assertThat(d.isNegative()).as(name + " = " + d).isFalse();
      }
      if (value instanceof StringMap m) {
        assertThat(m.asMap()).as(name).doesNotContainValue(null);
      }
    }
    assertThat(bag.toString()).isNotEmpty();
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

  // ---- a message built from the fuzz data ----

  private static final String[] CLUSTERS = {
    "outbound|9080||reviews.default.svc.cluster.local",
    "inbound|9080||productpage.default.svc.cluster.local",
    "outbound|9080|v1|reviews.default.svc.cluster.local",
    "outbound|||",
    "inbound|80||.svc.",
    "outbound|1|a|x..svc.y",
    "outbound|9080||a.svc.",
    "BlackHoleCluster",
    "",
  };

  private static final String[] IPS = {
    "10.1.0.7", "::1", "[::1]", "fe80::1%eth0", "255.255.255.255", "0.0.0.0", "1.2.3", "", "::ffff:10.0.0.1",
  };

  private static final String[] NODE_IDS = {
    "sidecar~10.1.0.7~productpage-v1-6b746f74dc-9stvs.default~default.svc.cluster.local",
    "router~10.1.0.8~istio-ingressgateway.istio-system~istio-system.svc.cluster.local",
    "sidecar~~.~", "sidecar~a~b~c~d", "~~x.~", "",
  };

  private static final String[] METADATA_KEYS = {
    "NAME", "NAMESPACE", "LABELS", "WORKLOAD_NAME", "OWNER", "SERVICE_ACCOUNT", "ISTIO_VERSION",
  };

  private static final String[] HEADER_NAMES = {
    "grpc-status", "grpc-message", "content-type", "x-user", ":authority", "user-agent", "",
  };

  private static StreamAccessLogsMessage build(FuzzedDataProvider data) {
    StreamAccessLogsMessage.Builder m = StreamAccessLogsMessage.newBuilder();
    if (data.consumeBoolean()) {
      m.setIdentifier(identifier(data));
    }
    if (data.consumeBoolean()) {
      HTTPAccessLogEntries.Builder http = HTTPAccessLogEntries.newBuilder();
      int n = data.consumeInt(0, 4);
      for (int i = 0; i < n; i++) {
        http.addLogEntry(http(data));
      }
      m.setHttpLogs(http);
    } else {
      TCPAccessLogEntries.Builder tcp = TCPAccessLogEntries.newBuilder();
      int n = data.consumeInt(0, 6);
      for (int i = 0; i < n; i++) {
        tcp.addLogEntry(tcp(data));
      }
      m.setTcpLogs(tcp);
    }
    return m.build();
  }

  private static Identifier identifier(FuzzedDataProvider data) {
    Struct.Builder meta = Struct.newBuilder();
    int n = data.consumeInt(0, 4);
    for (int i = 0; i < n; i++) {
      meta.putFields(data.pickValue(METADATA_KEYS), value(data, 2));
    }
    return Identifier.newBuilder()
        .setLogName(data.consumeString(8))
        .setNode(
            Node.newBuilder()
                .setId(data.consumeBoolean() ? data.pickValue(NODE_IDS) : data.consumeString(40))
                .setMetadata(meta))
        .build();
  }

  private static Value value(FuzzedDataProvider data, int depth) {
    return switch (data.consumeInt(0, depth > 0 ? 5 : 3)) {
      case 0 -> Value.newBuilder().setStringValue(data.consumeString(16)).build();
      case 1 -> Value.newBuilder().setNumberValue(data.consumeDouble()).build();
      case 2 -> Value.newBuilder().setBoolValue(data.consumeBoolean()).build();
      case 3 -> Value.newBuilder().setNullValueValue(0).build();
      case 4 -> {
        Struct.Builder s = Struct.newBuilder();
        int n = data.consumeInt(0, 3);
        for (int i = 0; i < n; i++) {
          s.putFields(data.consumeString(8), value(data, depth - 1));
        }
        yield Value.newBuilder().setStructValue(s).build();
      }
      default ->
          Value.newBuilder()
              .setListValue(ListValue.newBuilder().addValues(value(data, depth - 1)))
              .build();
    };
  }

  private static HTTPAccessLogEntry http(FuzzedDataProvider data) {
    HTTPRequestProperties.Builder request =
        HTTPRequestProperties.newBuilder()
            .setRequestMethodValue(data.consumeInt(-1, 11))
            .setPath(data.consumeString(24))
            .setAuthority(data.consumeString(12))
            .setScheme(data.consumeString(6))
            .setRequestId(data.consumeString(12))
            .setUserAgent(data.consumeString(12))
            .setReferer(data.consumeString(12))
            .setForwardedFor(data.consumeString(12))
            .setRequestHeadersBytes(count(data))
            .setRequestBodyBytes(count(data));
    int headers = data.consumeInt(0, 3);
    for (int i = 0; i < headers; i++) {
      request.putRequestHeaders(header(data), data.consumeString(16));
    }
    HTTPResponseProperties.Builder response =
        HTTPResponseProperties.newBuilder()
            .setResponseHeadersBytes(count(data))
            .setResponseBodyBytes(count(data))
            .setResponseCodeDetails(data.consumeString(8));
    if (data.consumeBoolean()) {
      response.setResponseCode(UInt32Value.of(data.consumeInt()));
    }
    int responseHeaders = data.consumeInt(0, 3);
    for (int i = 0; i < responseHeaders; i++) {
      if (data.consumeBoolean()) {
        response.putResponseHeaders(header(data), data.consumeString(16));
      } else {
        response.putResponseTrailers(header(data), data.consumeString(16));
      }
    }
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(common(data))
        .setProtocolVersionValue(data.consumeInt(-1, 4))
        .setRequest(request)
        .setResponse(response)
        .build();
  }

  @SuppressWarnings("deprecation") // intermediate_log_entry, as Envoy sends it
  private static TCPAccessLogEntry tcp(FuzzedDataProvider data) {
    return TCPAccessLogEntry.newBuilder()
        .setCommonProperties(
            common(data)
                .setStreamId(data.pickValue(new String[] {"c1", "c2", "c3", "c4", "c5", ""}))
                .setIntermediateLogEntry(data.consumeBoolean()))
        .setConnectionProperties(
            ConnectionProperties.newBuilder()
                .setSentBytes(count(data))
                .setReceivedBytes(count(data)))
        .build();
  }

  private static String header(FuzzedDataProvider data) {
    return data.consumeBoolean() ? data.pickValue(HEADER_NAMES) : data.consumeString(8);
  }

  /** A uint64 count: mostly small, sometimes past the signed range (which Java reads negative). */
  private static long count(FuzzedDataProvider data) {
    return switch (data.consumeInt(0, 3)) {
      case 0 -> data.consumeLong(0, 100_000);
      case 1 -> data.consumeLong();
      case 2 -> Long.MAX_VALUE - data.consumeLong(0, 10);
      default -> 0;
    };
  }

  private static AccessLogCommon.Builder common(FuzzedDataProvider data) {
    AccessLogCommon.Builder c =
        AccessLogCommon.newBuilder()
            .setUpstreamCluster(
                data.consumeBoolean() ? data.pickValue(CLUSTERS) : data.consumeString(48));
    if (data.consumeBoolean()) {
      c.setDownstreamRemoteAddress(address(data));
    }
    if (data.consumeBoolean()) {
      c.setDownstreamLocalAddress(address(data));
    }
    if (data.consumeBoolean()) {
      c.setUpstreamRemoteAddress(address(data));
    }
    if (data.consumeBoolean()) {
      c.setStartTime(
          Timestamp.newBuilder()
              .setSeconds(
                  data.consumeBoolean()
                      ? data.consumeLong(0, 4_102_444_800L)
                      : data.consumeLong())
              .setNanos(data.consumeInt()));
    }
    if (data.consumeBoolean()) {
      c.setTimeToLastDownstreamTxByte(duration(data));
    }
    if (data.consumeBoolean()) {
      c.setDuration(duration(data));
    }
    if (data.consumeBoolean()) {
      c.setTimeToLastRxByte(duration(data));
    }
    if (data.consumeBoolean()) {
      TLSProperties.Builder tls = TLSProperties.newBuilder().setTlsSniHostname(data.consumeString(16));
      if (data.consumeBoolean()) {
        tls.setPeerCertificateProperties(certificate(data));
      }
      if (data.consumeBoolean()) {
        tls.setLocalCertificateProperties(certificate(data));
      }
      c.setTlsProperties(tls);
    }
    if (data.consumeBoolean()) {
      c.setResponseFlags(
          ResponseFlags.newBuilder()
              .setFailedLocalHealthcheck(data.consumeBoolean())
              .setNoHealthyUpstream(data.consumeBoolean())
              .setUpstreamRequestTimeout(data.consumeBoolean())
              .setLocalReset(data.consumeBoolean())
              .setRateLimited(data.consumeBoolean())
              .setDownstreamConnectionTermination(data.consumeBoolean())
              .setUpstreamOverflow(data.consumeBoolean())
              .setNoRouteFound(data.consumeBoolean())
              .setFaultInjected(data.consumeBoolean()));
    }
    return c;
  }

  private static Address address(FuzzedDataProvider data) {
    if (data.consumeInt(0, 7) == 0) {
      return Address.newBuilder().setPipe(Pipe.newBuilder().setPath(data.consumeString(8))).build();
    }
    return Address.newBuilder()
        .setSocketAddress(
            SocketAddress.newBuilder()
                .setAddress(data.consumeBoolean() ? data.pickValue(IPS) : data.consumeString(40))
                .setPortValue(data.consumeInt()))
        .build();
  }

  private static Duration duration(FuzzedDataProvider data) {
    return Duration.newBuilder()
        .setSeconds(data.consumeBoolean() ? data.consumeLong(0, 1_000_000) : data.consumeLong())
        .setNanos(data.consumeInt())
        .build();
  }

  private static CertificateProperties certificate(FuzzedDataProvider data) {
    CertificateProperties.Builder cert = CertificateProperties.newBuilder();
    int n = data.consumeInt(0, 3);
    for (int i = 0; i < n; i++) {
      SubjectAltName.Builder san = SubjectAltName.newBuilder();
      if (data.consumeBoolean()) {
        san.setUri(data.consumeBoolean() ? "spiffe://" + data.consumeString(24) : data.consumeString(24));
      } else {
        san.setDns(data.consumeString(24));
      }
      cert.addSubjectAltName(san);
    }
    cert.setSubject(data.consumeString(12));
    return cert.build();
  }
}
