package dev.offpath.benchmarks.load;

import dev.offpath.benchmarks.telemetry.TelemetryFixture;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
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
 * Envoy-like access-log streams to Offpath's access-log service, by default with the entries of
 * {@link TelemetryFixture} (Istio sidecar entries over a spread of label sets): the first message
 * of a stream carries the identifier, the rest cycle through a pool of prebuilt messages, all
 * encoded once ({@link PreEncoded}).
 *
 * <ul>
 *   <li>{@link #flood}: as fast as HTTP/2 flow control lets each stream go;
 *   <li>{@link #atRate}: a constant entry rate on an {@link OpenLoopSchedule} of messages, spread
 *       over the streams, until the schedule ends.
 * </ul>
 */
final class LogClient implements AutoCloseable {

  private static final int POOL = 64;
  private static final MethodDescriptor<byte[], StreamAccessLogsResponse> STREAM =
      PreEncoded.method(AccessLogServiceGrpc.getStreamAccessLogsMethod());

  private final ManagedChannel channel;
  private final int perMessage;
  private final byte[] first;
  private final byte[][] pool;

  /** Streams of Istio sidecar entries, {@code perMessage} to a message. */
  LogClient(int port, int perMessage) {
    this(port, perMessage, TelemetryFixture.messages(POOL + 1, perMessage, 0));
  }

  /**
   * Streams of {@code messages}: the first opens every stream, the rest (without their
   * identifier) follow in turn; each holds {@code perMessage} entries.
   */
  LogClient(int port, int perMessage, List<StreamAccessLogsMessage> messages) {
    if (perMessage <= 0) {
      throw new IllegalArgumentException("perMessage: " + perMessage + " (expected: > 0)");
    }
    if (messages.size() < 2) {
      throw new IllegalArgumentException(
          "messages: " + messages.size() + " (expected: >= 2, the first and a pool)");
    }
    this.perMessage = perMessage;
    this.channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor().build();
    this.first = messages.get(0).toByteArray();
    List<StreamAccessLogsMessage> rest = new ArrayList<>();
    for (StreamAccessLogsMessage m : messages.subList(1, messages.size())) {
      rest.add(m.toBuilder().clearIdentifier().build());
    }
    this.pool = PreEncoded.encode(rest);
  }

  int perMessage() {
    return perMessage;
  }

  /** Message {@code k} of a stream (0 is the first), encoded. */
  private byte[] message(long k) {
    return k == 0 ? first : pool[(int) (k % pool.length)];
  }

  private StreamObserver<byte[]> open(StreamObserver<StreamAccessLogsResponse> responses) {
    return ClientCalls.asyncClientStreamingCall(channel.newCall(STREAM, CallOptions.DEFAULT), responses);
  }

  /**
   * Sends {@code messagesPerStream} messages on each of {@code streams} streams as fast as flow
   * control allows and half-closes them; {@code done} counts down as the server completes each.
   * Entries sent are added to {@code meter}.
   */
  void flood(int streams, long messagesPerStream, Meter meter, CountDownLatch done) {
    for (int s = 0; s < streams; s++) {
      open(new Flood(messagesPerStream, meter, done));
    }
  }

  /** The streams of a constant-rate run; {@link #finish} half-closes them and waits for the server. */
  final class RateRun {
    private final List<StreamObserver<byte[]>> streams = new ArrayList<>();
    private final CountDownLatch closed;
    private final AtomicReference<@Nullable Throwable> error = new AtomicReference<>();
    private final Thread sender;
    private volatile long sentEntries;

    RateRun(int streamCount, double entriesPerSecond, long durationNanos, Meter meter) {
      closed = new CountDownLatch(streamCount);
      for (int s = 0; s < streamCount; s++) {
        streams.add(
            open(
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
                    StreamObserver<byte[]> stream = streams.get(s);
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
      for (StreamObserver<byte[]> stream : streams) {
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
  private final class Flood implements ClientResponseObserver<byte[], StreamAccessLogsResponse> {
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
    public void beforeStart(ClientCallStreamObserver<byte[]> requests) {
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
