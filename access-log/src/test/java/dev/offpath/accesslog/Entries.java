package dev.offpath.accesslog;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.ConnectionProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.HTTPAccessLogEntries;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.Identifier;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.TCPAccessLogEntries;
import java.util.List;

/** Envoy access-log protos as an Istio sidecar would send them, for tests. */
final class Entries {

  private Entries() {}

  static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
  static final String RATINGS = "outbound|9080||ratings.default.svc.cluster.local";
  static final String PRODUCTPAGE_IN = "inbound|9080||productpage.default.svc.cluster.local";

  /** The identifier of a productpage-v1 sidecar with Istio node metadata. */
  static Identifier productpage() {
    return Identifier.newBuilder()
        .setLogName("offpath")
        .setNode(
            Node.newBuilder()
                .setId("sidecar~10.1.0.7~productpage-v1-6b746f74dc-9stvs.default~default.svc.cluster.local")
                .setCluster("productpage")
                .setMetadata(
                    Struct.newBuilder()
                        .putFields("WORKLOAD_NAME", string("productpage-v1"))
                        .putFields("NAMESPACE", string("default"))
                        .putFields(
                            "LABELS",
                            Value.newBuilder()
                                .setStructValue(
                                    Struct.newBuilder()
                                        .putFields("app", string("productpage"))
                                        .putFields("version", string("v1")))
                                .build())))
        .build();
  }

  private static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  static Address address(String ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }

  static AccessLogCommon.Builder common(String cluster) {
    return AccessLogCommon.newBuilder()
        .setUpstreamCluster(cluster)
        .setDownstreamRemoteAddress(address("10.1.0.7", 40000))
        .setDownstreamLocalAddress(address("10.1.0.9", 9080))
        .setUpstreamRemoteAddress(address("10.1.0.12", 9080))
        .setStartTime(Timestamp.newBuilder().setSeconds(1_767_225_600L))
        .setTimeToLastDownstreamTxByte(Duration.newBuilder().setNanos(25_000_000));
  }

  static HTTPAccessLogEntry http(String cluster, int code) {
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(common(cluster))
        .setRequest(
            HTTPRequestProperties.newBuilder()
                .setRequestMethod(RequestMethod.GET)
                .setAuthority("reviews:9080")
                .setPath("/reviews/0?x=1")
                .setScheme("http")
                .setRequestId("req-1")
                .setRequestHeadersBytes(100)
                .setRequestBodyBytes(20))
        .setResponse(
            HTTPResponseProperties.newBuilder()
                .setResponseCode(UInt32Value.of(code))
                .setResponseHeadersBytes(50)
                .setResponseBodyBytes(300))
        .build();
  }

  @SuppressWarnings("deprecation") // intermediate_log_entry, as Envoy sends it
  static TCPAccessLogEntry tcp(String cluster, String connection, boolean intermediate,
      long sent, long received) {
    return TCPAccessLogEntry.newBuilder()
        .setCommonProperties(
            common(cluster).setStreamId(connection).setIntermediateLogEntry(intermediate))
        .setConnectionProperties(
            ConnectionProperties.newBuilder().setSentBytes(sent).setReceivedBytes(received))
        .build();
  }

  static StreamAccessLogsMessage httpMessage(Identifier id, List<HTTPAccessLogEntry> entries) {
    StreamAccessLogsMessage.Builder b =
        StreamAccessLogsMessage.newBuilder()
            .setHttpLogs(HTTPAccessLogEntries.newBuilder().addAllLogEntry(entries));
    if (id != null) {
      b.setIdentifier(id);
    }
    return b.build();
  }

  static StreamAccessLogsMessage tcpMessage(Identifier id, List<TCPAccessLogEntry> entries) {
    StreamAccessLogsMessage.Builder b =
        StreamAccessLogsMessage.newBuilder()
            .setTcpLogs(TCPAccessLogEntries.newBuilder().addAllLogEntry(entries));
    if (id != null) {
      b.setIdentifier(id);
    }
    return b.build();
  }
}
