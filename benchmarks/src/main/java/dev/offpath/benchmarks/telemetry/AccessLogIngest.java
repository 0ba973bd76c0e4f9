package dev.offpath.benchmarks.telemetry;

import dev.offpath.accesslog.AccessLogService;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.telemetry.ReportPipeline;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Access-log ingest rate through real gRPC streams on loopback: Envoy-like clients stream HTTP
 * entries to the access-log service (loopback Netty, direct executor, as in the server) with Istio
 * 1.0's default metrics on the prometheus adapter; the clock runs from the first message sent to
 * the last entry dispatched to the adapter. Each round checks exactness: {@code
 * istio_requests_total} must grow by exactly the entries sent. Clients and server share the
 * machine, so the rate includes the clients' serialisation.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar
 * dev.offpath.benchmarks.telemetry.AccessLogIngest [streams=4] [messages=500] [entries=100]
 * [rounds=5]}
 */
public final class AccessLogIngest {

  private AccessLogIngest() {}

  public static void main(String[] args) throws Exception {
    int streams = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    int messages = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    int perMessage = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;

    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    PrometheusRegistry registry = new PrometheusRegistry();
    PolicyStore store = TelemetryFixture.store(registry, scheduler);
    ReportPipeline pipeline = ReportPipeline.builder(store).start();
    AccessLogService service = new AccessLogService(pipeline);
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .addService(service)
            .build()
            .start();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    AccessLogServiceGrpc.AccessLogServiceStub stub = AccessLogServiceGrpc.newStub(channel);

    List<List<StreamAccessLogsMessage>> plans = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      plans.add(TelemetryFixture.messages(messages, perMessage, s * 7919));
    }
    long perRound = (long) streams * messages * perMessage;
    System.out.printf(
        "%d streams x %d messages x %d entries = %d entries per round; %d report workers, queue %d%n",
        streams, messages, perMessage, perRound, 2, pipeline.capacity());
    for (int round = 0; round <= rounds; round++) {
      double before = requests(registry);
      long dispatchedBefore = pipeline.dispatched();
      long start = System.nanoTime();
      CountDownLatch done = new CountDownLatch(streams);
      for (List<StreamAccessLogsMessage> plan : plans) {
        stub.streamAccessLogs(new Sender(plan, done));
      }
      if (!done.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("streams did not finish");
      }
      while (pipeline.dispatched() - dispatchedBefore < perRound) {
        Thread.onSpinWait();
      }
      long nanos = System.nanoTime() - start;
      double counted = requests(registry) - before;
      if (counted != perRound) {
        throw new IllegalStateException("counted " + counted + " of " + perRound);
      }
      System.out.printf(
          "%s %d: %,.0f entries/s (%d ms), counted exactly%n",
          round == 0 ? "warmup" : "round",
          round,
          perRound * 1e9 / nanos,
          TimeUnit.NANOSECONDS.toMillis(nanos));
    }
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    service.drain();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    pipeline.close(Duration.ofSeconds(10));
    store.close();
    scheduler.shutdownNow();
  }

  private static double requests(PrometheusRegistry registry) {
    double sum = 0;
    for (MetricSnapshot m : registry.scrape()) {
      if (m.getMetadata().getName().equals("istio_requests")) {
        for (CounterSnapshot.CounterDataPointSnapshot p :
            ((CounterSnapshot) m).getDataPoints()) {
          sum += p.getValue();
        }
      }
    }
    return sum;
  }

  /** Sends a stream's messages as fast as flow control lets it, then half-closes. */
  private static final class Sender
      implements ClientResponseObserver<StreamAccessLogsMessage, StreamAccessLogsResponse> {
    private final List<StreamAccessLogsMessage> plan;
    private final CountDownLatch done;
    private int next;

    Sender(List<StreamAccessLogsMessage> plan, CountDownLatch done) {
      this.plan = plan;
      this.done = done;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<StreamAccessLogsMessage> requests) {
      requests.setOnReadyHandler(
          () -> {
            while (requests.isReady() && next < plan.size()) {
              requests.onNext(plan.get(next++));
            }
            if (next == plan.size()) {
              next++;
              requests.onCompleted();
            }
          });
    }

    @Override
    public void onNext(StreamAccessLogsResponse value) {}

    @Override
    public void onError(Throwable t) {
      t.printStackTrace();
      done.countDown();
    }

    @Override
    public void onCompleted() {
      done.countDown();
    }
  }
}
