package dev.offpath.accesslog;

import static dev.offpath.accesslog.Entries.PRODUCTPAGE_IN;
import static dev.offpath.accesslog.Entries.RATINGS;
import static dev.offpath.accesslog.Entries.REVIEWS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.telemetry.DropReason;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The access-log service through real gRPC streams on loopback Netty, with Istio 1.0's default
 * telemetry config on the real prometheus and stdio adapters: exact counts per label set, TCP byte
 * counters, cancelled streams, back-pressure from a slow adapter, shutdown and malformed entries.
 */
class AccessLogServiceTest {

  private static final String[] CLUSTERS = {REVIEWS, RATINGS, PRODUCTPAGE_IN};
  private static final int[] CODES = {200, 404, 503};

  @TempDir Path dir;
  private TelemetryHarness harness;

  @AfterEach
  void close() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  /** One client stream. */
  final class ClientStream implements StreamObserver<StreamAccessLogsResponse> {
    final CountDownLatch done = new CountDownLatch(1);
    volatile Status status = Status.OK;
    final StreamObserver<StreamAccessLogsMessage> requests;

    ClientStream() {
      requests = harness.stub.streamAccessLogs(this);
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

    void awaitDone() throws InterruptedException {
      assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static void await(LongSupplier value, long expected) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (value.getAsLong() < expected) {
      assertThat(System.nanoTime()).as("waiting for %d", expected).isLessThan(end);
      Thread.onSpinWait();
    }
  }

  @Test
  void concurrentStreamsWithMixedCodesAndClustersAreCountedExactlyPerLabelSet() throws Exception {
    harness = new TelemetryHarness(dir, 10_000, false);
    int streams = 8;
    int messages = 40;
    int perMessage = 25;
    Map<String, Long> expected = new HashMap<>();
    List<ClientStream> clients = new ArrayList<>();
    List<Thread> senders = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      ClientStream client = new ClientStream();
      clients.add(client);
      int seed = s;
      List<StreamAccessLogsMessage> plan = new ArrayList<>();
      for (int m = 0; m < messages; m++) {
        List<HTTPAccessLogEntry> entries = new ArrayList<>();
        for (int e = 0; e < perMessage; e++) {
          int i = seed * 7 + m * 3 + e;
          String cluster = CLUSTERS[i % CLUSTERS.length];
          int code = CODES[(i / 3) % CODES.length];
          entries.add(Entries.http(cluster, code));
          expected.merge(cluster + " " + code, 1L, Long::sum);
        }
        plan.add(Entries.httpMessage(m == 0 ? Entries.productpage() : null, entries));
      }
      senders.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    plan.forEach(client.requests::onNext);
                    client.requests.onCompleted();
                  }));
    }
    for (Thread t : senders) {
      t.join();
    }
    for (ClientStream c : clients) {
      c.awaitDone();
      assertThat(c.status.isOk()).as("%s", c.status).isTrue();
    }
    harness.flush();

    long n = (long) streams * messages * perMessage;
    assertThat(harness.pipeline.received()).isEqualTo(n);
    assertThat(harness.dropped()).isZero();
    assertThat(harness.total("istio_requests")).isEqualTo(n);
    assertThat(harness.total("istio_request_duration_seconds")).isEqualTo(n);
    for (String cluster : CLUSTERS) {
      String host = cluster.substring(cluster.lastIndexOf('|') + 1);
      boolean outbound = cluster.startsWith("outbound");
      for (int code : CODES) {
        assertThat(
                harness.value(
                    "istio_requests",
                    Map.of(
                        "destination_service", host,
                        "response_code", Integer.toString(code),
                        "reporter", outbound ? "source" : "destination",
                        "source_workload", outbound ? "productpage-v1" : "unknown",
                        "destination_workload", outbound ? "unknown" : "productpage-v1",
                        "request_protocol", "http")))
            .as("%s %d", cluster, code)
            .isEqualTo(expected.getOrDefault(cluster + " " + code, 0L).doubleValue());
      }
    }
    // Istio's stdio rule logged one JSON line per entry.
    assertThat(Files.readAllLines(harness.accessLog)).hasSize((int) n);
  }

  @Test
  void tcpEntriesFeedTheByteCountersWithIntermediateEntriesCountedOnce() throws Exception {
    harness = new TelemetryHarness(dir, 10_000, false);
    ClientStream client = new ClientStream();
    client.requests.onNext(
        Entries.tcpMessage(
            Entries.productpage(),
            List.of(
                Entries.tcp(REVIEWS, "c1", true, 100, 10),
                Entries.tcp(REVIEWS, "c2", false, 7, 3))));
    client.requests.onNext(
        Entries.tcpMessage(
            null,
            List.of(
                Entries.tcp(REVIEWS, "c1", true, 250, 40),
                Entries.tcp(REVIEWS, "c1", false, 400, 50))));
    client.requests.onCompleted();
    client.awaitDone();
    harness.flush();

    Map<String, String> reviews =
        Map.of("destination_service_name", "reviews", "reporter", "source");
    assertThat(harness.value("istio_tcp_sent_bytes", reviews)).isEqualTo(400 + 7);
    assertThat(harness.value("istio_tcp_received_bytes", reviews)).isEqualTo(50 + 3);
    assertThat(harness.total("istio_requests")).isZero();
    assertThat(Files.readAllLines(harness.accessLog))
        .hasSize(4)
        .allSatisfy(l -> assertThat(l).contains("\"protocol\":\"tcp\""))
        .anySatisfy(l -> assertThat(l).contains("\"connectionEvent\":\"continue\""));
  }

  @Test
  void aStreamCancelledMidwayHasWhatWasReceivedCounted() throws Exception {
    harness = new TelemetryHarness(dir, 10_000, false);
    Context.CancellableContext context = Context.current().withCancellation();
    ClientStream[] client = new ClientStream[1];
    context.run(() -> client[0] = new ClientStream());
    for (int m = 0; m < 10; m++) {
      client[0].requests.onNext(
          Entries.httpMessage(
              m == 0 ? Entries.productpage() : null,
              List.of(Entries.http(REVIEWS, 200), Entries.http(RATINGS, 500))));
    }
    await(harness.service::messages, 10);
    context.cancel(null);
    client[0].awaitDone();
    assertThat(client[0].status.getCode()).isEqualTo(Status.Code.CANCELLED);

    // The service keeps serving other streams.
    ClientStream next = new ClientStream();
    next.requests.onNext(Entries.httpMessage(null, List.of(Entries.http(REVIEWS, 200))));
    next.requests.onCompleted();
    next.awaitDone();
    harness.flush();

    assertThat(harness.total("istio_requests")).isEqualTo(21);
    assertThat(harness.pipeline.received()).isEqualTo(21);
    await(() -> harness.service.openStreams() == 0 ? 1 : 0, 1);
  }

  @Test
  void aSlowAdapterStopsTheStreamFromReadingInsteadOfQueueingWithoutBound() throws Exception {
    int capacity = 100;
    int perMessage = 10;
    int messages = 200;
    harness = new TelemetryHarness(dir, capacity, true);
    harness.gate.close();
    ClientStream client = new ClientStream();
    for (int m = 0; m < messages; m++) {
      List<HTTPAccessLogEntry> entries = new ArrayList<>();
      for (int e = 0; e < perMessage; e++) {
        entries.add(Entries.http(CLUSTERS[e % 3], CODES[m % 3]));
      }
      client.requests.onNext(Entries.httpMessage(m == 0 ? Entries.productpage() : null, entries));
    }
    client.requests.onCompleted();

    // The queue fills up to its capacity; then the stream stops asking for messages.
    await(() -> harness.pipeline.hasCapacity() ? 0 : 1, 1);
    long readWhileBlocked = harness.service.messages();
    assertThat(harness.pipeline.depth()).isLessThanOrEqualTo(capacity + perMessage);
    assertThat(readWhileBlocked).isLessThanOrEqualTo(capacity / perMessage + 1);
    assertThat(harness.dropped()).isZero();

    harness.gate.open();
    client.awaitDone();
    harness.flush();

    long n = (long) messages * perMessage;
    assertThat(harness.service.messages()).isEqualTo(messages);
    assertThat(harness.total("istio_requests")).isEqualTo(n);
    assertThat(harness.gate.instances.sum()).isEqualTo(n);
    assertThat(harness.dropped()).isZero();
  }

  @Test
  void drainCompletesStreamsAndEverythingReceivedIsFlushed() throws Exception {
    harness = new TelemetryHarness(dir, 10_000, true);
    harness.gate.close();
    ClientStream client = new ClientStream();
    for (int m = 0; m < 5; m++) {
      client.requests.onNext(
          Entries.httpMessage(
              m == 0 ? Entries.productpage() : null,
              List.of(Entries.http(REVIEWS, 200), Entries.http(REVIEWS, 201))));
    }
    await(harness.service::messages, 5);

    harness.service.drain();
    client.awaitDone();
    assertThat(client.status.isOk()).as("%s", client.status).isTrue();
    ClientStream late = new ClientStream();
    late.awaitDone();
    assertThat(late.status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);

    harness.gate.open();
    harness.flush();
    assertThat(harness.total("istio_requests")).isEqualTo(10);
    assertThat(harness.gate.instances.sum()).isEqualTo(10);
    assertThat(harness.pipeline.received()).isEqualTo(harness.pipeline.dispatched());
  }

  @Test
  void malformedEntriesAreCountedAsDroppedAndTheRestCounted() throws Exception {
    harness = new TelemetryHarness(dir, 10_000, false);
    HTTPAccessLogEntry bad =
        Entries.http(REVIEWS, 200).toBuilder()
            .setCommonProperties(
                Entries.common(REVIEWS)
                    .setDownstreamRemoteAddress(
                        Address.newBuilder()
                            .setSocketAddress(SocketAddress.newBuilder().setAddress("not-an-ip"))))
            .build();
    ClientStream client = new ClientStream();
    client.requests.onNext(
        Entries.httpMessage(
            Entries.productpage(), List.of(Entries.http(REVIEWS, 200), bad, bad)));
    client.requests.onCompleted();
    client.awaitDone();
    harness.flush();

    assertThat(harness.total("istio_requests")).isEqualTo(1);
    assertThat(harness.pipeline.dropped(DropReason.MALFORMED)).isEqualTo(2);
    assertThat(harness.service.malformed()).isEqualTo(2);
    assertThat(harness.pipeline.received()).isEqualTo(3);
  }
}
