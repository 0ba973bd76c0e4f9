package dev.offpath.benchmarks.load;

import dev.offpath.benchmarks.telemetry.TelemetryFixture;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Envoy-like access-log streams to Offpath's access-log service, with the entries of {@link
 * TelemetryFixture} (Istio sidecar entries over a spread of label sets): the first message of a
 * stream carries the identifier, the rest cycle through a pool of prebuilt messages.
 *
 * <ul>
 *   <li>{@link #flood}: as fast as HTTP/2 flow control lets each stream go;
 *   <li>{@link #atRate}: a constant entry rate on an {@link OpenLoopSchedule} of messages, spread
 *       over the streams, until the schedule ends.
 * </ul>
 */
final class LogClient implements AutoCloseable {

  private static final int POOL = 64;

  private final ManagedChannel channel;
  private final AccessLogServiceGrpc.AccessLogServiceStub stub;
  private final int perMessage;
  private final StreamAccessLogsMessage first;
  private final List<StreamAccessLogsMessage> pool;

  LogClient(int port, int perMessage) {
    if (perMessage <= 0) {
      throw new IllegalArgumentException("perMessage: " + perMessage + " (expected: > 0)");
    }
    this.perMessage = perMessage;
    this.channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor().build();
    this.stub = AccessLogServiceGrpc.newStub(channel);
    List<StreamAccessLogsMessage> messages = TelemetryFixture.messages(POOL + 1, perMessage, 0);
    this.first = messages.get(0);
    this.pool = new ArrayList<>();
    for (StreamAccessLogsMessage m : messages.subList(1, messages.size())) {
      pool.add(m.toBuilder().clearIdentifier().build());
    }
  }

  int perMessage() {
    return perMessage;
  }

  private StreamAccessLogsMessage message(long k) {
    return k == 0 ? first : pool.get((int) (k % POOL));
  }

  /**
   * Sends {@code messagesPerStream} messages on each of {@code streams} streams as fast as flow
   * control allows and half-closes them; {@code done} counts down as the server completes each.
   * Entries sent are added to {@code meter}.
   */
  void flood(int streams, long messagesPerStream, Meter meter, CountDownLatch done) {
    for (int s = 0; s < streams; s++) {
      stub.streamAccessLogs(new Flood(messagesPerStream, meter, done));
    }
  }

  /** The streams of a constant-rate run; {@link #finish} half-closes them and waits for the server. */
  final class RateRun {
    private final List<StreamObserver<StreamAccessLogsMessage>> streams = new ArrayList<>();
    private final CountDownLatch closed;
    private final AtomicReference<@Nullable Throwable> error = new AtomicReference<>();
    private final Thread sender;
    private volatile long sentEntries;

    RateRun(int streamCount, double entriesPerSecond, long durationNanos, Meter meter) {
      closed = new CountDownLatch(streamCount);
      for (int s = 0; s < streamCount; s++) {
        streams.add(
            stub.streamAccessLogs(
                new StreamObserver<>() {
                  @Override
                  public void onNext(StreamAccessLogsResponse value) {}

                  @Override
                  public void onError(Throwable t) {
                    error.compareAndSet(null, t);
                    closed.countDown();
                  }

                  @Override
                  public void onCompleted() {
                    closed.countDown();
                  }
                }));
      }
      OpenLoopSchedule schedule =
          new OpenLoopSchedule(entriesPerSecond / perMessage, System.nanoTime(), durationNanos);
      sender =
          new Thread(
              () -> {
                long total = schedule.total();
                long[] perStream = new long[streams.size()];
                long k = 0;
                while (k < total) {
                  long now = System.nanoTime();
                  long due = schedule.dueBy(now);
                  if (k >= due) {
                    LockSupport.parkNanos(schedule.intendedNanos(k) - now);
                    continue;
                  }
                  for (; k < due; k++) {
                    int s = (int) (k % streams.size());
                    StreamObserver<StreamAccessLogsMessage> stream = streams.get(s);
                    synchronized (stream) {
                      stream.onNext(message(perStream[s]++));
                    }
                    meter.add(perMessage);
                    sentEntries += perMessage;
                  }
                }
              },
              "access-log-sender");
      sender.setDaemon(true);
      sender.start();
    }

    /** Waits for the schedule to end, half-closes the streams; returns the entries sent. */
    long finish(long timeoutNanos) throws InterruptedException {
      sender.join(TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
      if (sender.isAlive()) {
        throw new IllegalStateException("access-log sender did not finish its schedule");
      }
      for (StreamObserver<StreamAccessLogsMessage> stream : streams) {
        synchronized (stream) {
          stream.onCompleted();
        }
      }
      if (!closed.await(timeoutNanos, TimeUnit.NANOSECONDS)) {
        throw new IllegalStateException("access-log streams were not completed by the server");
      }
      Throwable t = error.get();
      if (t != null) {
        throw new IllegalStateException("access-log stream failed: " + t, t);
      }
      return sentEntries;
    }
  }

  RateRun atRate(int streams, double entriesPerSecond, long durationNanos, Meter meter) {
    return new RateRun(streams, entriesPerSecond, durationNanos, meter);
  }

  /** One stream sending as fast as flow control lets it, then half-closing. */
  private final class Flood
      implements ClientResponseObserver<StreamAccessLogsMessage, StreamAccessLogsResponse> {
    private final long messages;
    private final Meter meter;
    private final CountDownLatch done;
    private long next;

    Flood(long messages, Meter meter, CountDownLatch done) {
      this.messages = messages;
      this.meter = meter;
      this.done = done;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<StreamAccessLogsMessage> requests) {
      requests.setOnReadyHandler(
          () -> {
            while (requests.isReady() && next < messages) {
              requests.onNext(message(next++));
              meter.sent.add(perMessage);
            }
            if (next == messages) {
              next++;
              requests.onCompleted();
            }
          });
    }

    @Override
    public void onNext(StreamAccessLogsResponse value) {}

    @Override
    public void onError(Throwable t) {
      meter.errors.increment();
      done.countDown();
    }

    @Override
    public void onCompleted() {
      done.countDown();
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
