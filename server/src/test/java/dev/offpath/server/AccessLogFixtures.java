package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
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
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.HTTPAccessLogEntries;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.Identifier;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.TCPAccessLogEntries;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Envoy access-log entries and a client stream, for end-to-end tests of the telemetry path. */
final class AccessLogFixtures {

  static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";

  private AccessLogFixtures() {}

  static Identifier productpage() {
    return Identifier.newBuilder()
        .setLogName("offpath")
        .setNode(Node.newBuilder().setId("sidecar~10.1.0.7~productpage-v1-abc.default~default.svc.cluster.local"))
        .build();
  }

  static AccessLogCommon.Builder common(String cluster) {
    return AccessLogCommon.newBuilder()
        .setUpstreamCluster(cluster)
        .setDownstreamRemoteAddress(
            Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress("10.1.0.7").setPortValue(4000)))
        .setStartTime(Timestamp.newBuilder().setSeconds(1_767_225_600L));
  }

  static HTTPAccessLogEntry http(String cluster, int code) {
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(common(cluster))
        .setRequest(
            HTTPRequestProperties.newBuilder()
                .setRequestMethod(RequestMethod.GET)
                .setPath("/")
                .setRequestBodyBytes(10))
        .setResponse(
            HTTPResponseProperties.newBuilder()
                .setResponseCode(UInt32Value.of(code))
                .setResponseBodyBytes(1000))
        .build();
  }

  static TCPAccessLogEntry tcp(String cluster, long sent, long received) {
    return TCPAccessLogEntry.newBuilder()
        .setCommonProperties(common(cluster))
        .setConnectionProperties(
            ConnectionProperties.newBuilder().setSentBytes(sent).setReceivedBytes(received))
        .build();
  }

  static StreamAccessLogsMessage httpMessage(boolean first, List<HTTPAccessLogEntry> e) {
    StreamAccessLogsMessage.Builder b =
        StreamAccessLogsMessage.newBuilder().setHttpLogs(HTTPAccessLogEntries.newBuilder().addAllLogEntry(e));
    return (first ? b.setIdentifier(productpage()) : b).build();
  }

  static StreamAccessLogsMessage tcpMessage(List<TCPAccessLogEntry> e) {
    return StreamAccessLogsMessage.newBuilder()
        .setIdentifier(productpage())
        .setTcpLogs(TCPAccessLogEntries.newBuilder().addAllLogEntry(e))
        .build();
  }

  /** A client stream; {@link #finish} half-closes and waits for the server's answer. */
  static class Client implements StreamObserver<StreamAccessLogsResponse> {
    final CountDownLatch done = new CountDownLatch(1);
    volatile Status status = Status.OK;
    final StreamObserver<StreamAccessLogsMessage> requests;

    Client(AccessLogServiceGrpc.AccessLogServiceStub stub) {
      requests = stub.streamAccessLogs(this);
    }

    @Override
    public void onNext(StreamAccessLogsResponse value) {}

    @Override
    public void onError(Throwable t) {
      status = Status.fromThrowable(t);
      done.countDown();
    }

    @Override
    public void onCompleted() {
      done.countDown();
    }

    void finish() throws InterruptedException {
      requests.onCompleted();
      awaitDone();
    }

    void awaitDone() throws InterruptedException {
      assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(status.isOk()).as("%s", status).isTrue();
    }
  }
}
