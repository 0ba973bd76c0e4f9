package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.benchmarks.telemetry.TelemetryFixture;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The load clients send their requests encoded once ({@link PreEncoded}): a real loopback server
 * must receive each one equal to the proto it was encoded from, and the clients must still read
 * the responses (allowed vs denied) and the stream completions.
 */
class PreEncodedClientsTest {

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final Progress progress =
      new Progress(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    progress.close();
  }

  @Test
  void checkRequestsArriveAsBuiltAndResponsesAreRead() throws Exception {
    List<CheckRequest> requests = CheckTraffic.requests(3, 2);
    CheckRequest denied = requests.get(1);
    Queue<CheckRequest> received = new ConcurrentLinkedQueue<>();
    Server server =
        serve(
            new AuthorizationGrpc.AuthorizationImplBase() {
              @Override
              public void check(CheckRequest request, StreamObserver<CheckResponse> responses) {
                received.add(request);
                responses.onNext(
                    request.equals(denied)
                        ? CheckResponse.newBuilder()
                            .setStatus(com.google.rpc.Status.newBuilder().setCode(7))
                            .build()
                        : BaselineServer.OK);
                responses.onCompleted();
              }
            });
    CheckClient client = new CheckClient(server.getPort(), 2, requests);
    closing.add(client);

    // 1000/s for 20 ms: a schedule of exactly 20 sends, requests 0, 1, 2, 0, 1, ...
    PhaseResult r =
        client.openLoop(
            "test", Target.inProcess("capture", server.getPort(), -1, () -> {}), 1000,
            Duration.ofMillis(20), progress);

    List<CheckRequest> expected = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      expected.add(requests.get(i % 3));
    }
    assertThat(r.sent()).isEqualTo(20);
    assertThat(r.errors()).as("%s", r.firstError()).isZero();
    assertThat(received).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(r.denied()).isEqualTo(expected.stream().filter(denied::equals).count()).isEqualTo(7);
    assertThat(r.allowed()).isEqualTo(13);
  }

  @Test
  void accessLogMessagesArriveAsBuiltOnEveryStream() throws Exception {
    List<StreamAccessLogsMessage> messages = TelemetryFixture.messages(4, 5, 0);
    List<Queue<StreamAccessLogsMessage>> streams = new ArrayList<>();
    Server server = serve(capturing(streams));
    LogClient client = new LogClient(server.getPort(), 5, messages);
    closing.add(client);

    Meter meter = new Meter("test", "capture", 0);
    CountDownLatch done = new CountDownLatch(2);
    client.flood(2, 5, meter, done);

    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    List<StreamAccessLogsMessage> expected =
        List.of(
            messages.get(0),
            withoutIdentifier(messages.get(2)),
            withoutIdentifier(messages.get(3)),
            withoutIdentifier(messages.get(1)),
            withoutIdentifier(messages.get(2)));
    assertThat(streams).hasSize(2);
    for (Queue<StreamAccessLogsMessage> stream : streams) {
      assertThat(stream).containsExactlyElementsOf(expected);
    }
    assertThat(meter.sent.sum()).isEqualTo(2 * 5 * 5);
    assertThat(meter.errors.sum()).isZero();
  }

  @Test
  void accessLogsAtARateSendTheirWholeScheduleAndHalfClose() throws Exception {
    List<StreamAccessLogsMessage> messages = TelemetryFixture.messages(3, 4, 7);
    List<Queue<StreamAccessLogsMessage>> streams = new ArrayList<>();
    Server server = serve(capturing(streams));
    LogClient client = new LogClient(server.getPort(), 4, messages);
    closing.add(client);

    // 2000 entries/s at 4 per message for 20 ms: a schedule of exactly 10 messages on 2 streams.
    long sent =
        client
            .atRate(2, 2000, TimeUnit.MILLISECONDS.toNanos(20), new Meter("test", "capture", 2000))
            .finish(TimeUnit.SECONDS.toNanos(10));

    assertThat(sent).isEqualTo(40);
    assertThat(streams).hasSize(2);
    for (Queue<StreamAccessLogsMessage> stream : streams) {
      assertThat(stream)
          .containsExactly(
              messages.get(0),
              withoutIdentifier(messages.get(2)),
              withoutIdentifier(messages.get(1)),
              withoutIdentifier(messages.get(2)),
              withoutIdentifier(messages.get(1)));
    }
  }

  private static StreamAccessLogsMessage withoutIdentifier(StreamAccessLogsMessage m) {
    return m.toBuilder().clearIdentifier().build();
  }

  /** An access-log service that keeps each stream's messages and completes it when the client does. */
  private static AccessLogServiceGrpc.AccessLogServiceImplBase capturing(
      List<Queue<StreamAccessLogsMessage>> streams) {
    return new AccessLogServiceGrpc.AccessLogServiceImplBase() {
      @Override
      public StreamObserver<StreamAccessLogsMessage> streamAccessLogs(
          StreamObserver<StreamAccessLogsResponse> responses) {
        Queue<StreamAccessLogsMessage> stream = new ConcurrentLinkedQueue<>();
        synchronized (streams) {
          streams.add(stream);
        }
        return new StreamObserver<>() {
          @Override
          public void onNext(StreamAccessLogsMessage message) {
            stream.add(message);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            responses.onNext(StreamAccessLogsResponse.getDefaultInstance());
            responses.onCompleted();
          }
        };
      }
    };
  }

  private Server serve(io.grpc.BindableService service) throws Exception {
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .addService(service)
            .build()
            .start();
    closing.add(
        () -> {
          server.shutdownNow();
          server.awaitTermination(5, TimeUnit.SECONDS);
        });
    return server;
  }
}
