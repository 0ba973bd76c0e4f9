package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The Check load generator: async calls over a few HTTP/2 connections (as Envoy's workers hold
 * them), callbacks on the event loops (direct executor), requests prebuilt, encoded once ({@link
 * PreEncoded}) and cycled so the client spends its CPU on gRPC only — it shares the machine with
 * the server.
 *
 * <p>Two modes:
 *
 * <ul>
 *   <li>{@link #openLoop}: constant rate on an {@link OpenLoopSchedule}; the sender parks until the
 *       next intended time (it never spins: on a small machine a spinning client would take a
 *       core from the server) and sends everything due, late requests back to back; latency runs
 *       from the intended time, so no coordinated omission.
 *   <li>{@link #closedLoop}: a fixed number of calls in flight, each completion sending the next,
 *       for capacity; latency runs from the actual send (a closed loop has no intended time).
 * </ul>
 */
final class CheckClient implements AutoCloseable {

  private static final long DEADLINE_SECONDS = 10;
  private static final MethodDescriptor<byte[], CheckResponse> CHECK =
      PreEncoded.method(AuthorizationGrpc.getCheckMethod());

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final byte[][] requests;

  CheckClient(int port, int connections, List<CheckRequest> requests) {
    this(port, connections, PreEncoded.encode(requests));
  }

  /** A client cycling through requests already encoded. */
  CheckClient(int port, int connections, byte[][] encodedRequests) {
    this(ChannelSecurity.PLAINTEXT, port, connections, encodedRequests);
  }

  /** A client cycling through requests already encoded, its connections secured as {@code security} says. */
  CheckClient(ChannelSecurity security, int port, int connections, byte[][] encodedRequests) {
    if (connections <= 0) {
      throw new IllegalArgumentException("connections: " + connections + " (expected: > 0)");
    }
    if (encodedRequests.length == 0) {
      throw new IllegalArgumentException("requests: empty (expected: at least one)");
    }
    this.requests = encodedRequests;
    for (int i = 0; i < connections; i++) {
      channels.add(security.channel(port, true));
    }
  }

  PhaseResult openLoop(String phase, Target target, double rate, Duration duration, Progress progress)
      throws InterruptedException {
    requireNonNull(target, "target");
    Meter meter = new Meter(phase, target.name(), rate);
    progress.show(meter);
    return openLoop(meter, target, duration);
  }

  /** An open loop at {@code meter}'s rate, counted in {@code meter} (which callers may watch). */
  PhaseResult openLoop(Meter meter, Target target, Duration duration) throws InterruptedException {
    requireNonNull(meter, "meter");
    requireNonNull(target, "target");
    long cpuBefore = target.cpuNanos();
    OpenLoopSchedule schedule =
        new OpenLoopSchedule(meter.targetRate, System.nanoTime() + 1_000_000, duration.toNanos());
    long total = schedule.total();
    AtomicLong lastDone = new AtomicLong(schedule.startNanos());
    long i = 0;
    while (i < total) {
      long now = System.nanoTime();
      long due = schedule.dueBy(now);
      if (i >= due) {
        LockSupport.parkNanos(schedule.intendedNanos(i) - now);
        if (Thread.interrupted()) {
          throw new InterruptedException("open loop " + meter.phase + " interrupted");
        }
        continue;
      }
      for (; i < due; i++) {
        send(i, schedule.intendedNanos(i), meter, lastDone);
      }
    }
    boolean idle = meter.awaitIdle(TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS + 5));
    long cpuAfter = target.cpuNanos();
    return result(
        meter,
        idle ? "open loop" : "open loop (calls still in flight at the end)",
        lastDone.get() - schedule.startNanos(),
        cpuBefore,
        cpuAfter);
  }

  PhaseResult closedLoop(
      String phase, Target target, int concurrency, Duration duration, Progress progress)
      throws InterruptedException {
    requireNonNull(target, "target");
    if (concurrency <= 0) {
      throw new IllegalArgumentException("concurrency: " + concurrency + " (expected: > 0)");
    }
    Meter meter = new Meter(phase, target.name(), 0);
    progress.show(meter);
    long cpuBefore = target.cpuNanos();
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    AtomicLong next = new AtomicLong();
    AtomicLong lastDone = new AtomicLong(end);
    for (int k = 0; k < concurrency; k++) {
      sendClosed(next, end, meter, lastDone);
    }
    boolean idle =
        meter.awaitIdle(duration.toNanos() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS + 5));
    long cpuAfter = target.cpuNanos();
    // The window runs to the last completion: the calls in flight at its end finish inside it.
    return result(
        meter,
        "closed loop, " + concurrency + " in flight"
            + (idle ? "" : " (calls still in flight at the end)"),
        lastDone.get() - start,
        cpuBefore,
        cpuAfter);
  }

  private void send(long i, long intendedNanos, Meter meter, AtomicLong lastDone) {
    call(i, meter, lastDone, (now, ok) -> meter.completed(ok, now - intendedNanos));
  }

  private void sendClosed(AtomicLong next, long endNanos, Meter meter, AtomicLong lastDone) {
    long i = next.getAndIncrement();
    long sentAt = System.nanoTime();
    call(
        i,
        meter,
        lastDone,
        (now, ok) -> {
          if (now < endNanos) {
            // The next goes out before this one counts as finished: in flight never hits 0 early.
            sendClosed(next, endNanos, meter, lastDone);
          }
          meter.completed(ok, now - sentAt);
        });
  }

  /** What a completed call reports: the time it completed and whether it was allowed. */
  private interface Completion {
    void completed(long nowNanos, boolean ok);
  }

  /** One Check with request {@code i}; {@code done} runs when it completes (not on error). */
  private void call(long i, Meter meter, AtomicLong lastDone, Completion done) {
    meter.started();
    ClientCalls.asyncUnaryCall(
        channels
            .get((int) (i % channels.size()))
            .newCall(CHECK, CallOptions.DEFAULT.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)),
        requests[(int) (i % requests.length)],
        new StreamObserver<CheckResponse>() {
          private boolean ok;

          @Override
          public void onNext(CheckResponse response) {
            ok = response.getStatus().getCode() == 0;
          }

          @Override
          public void onError(Throwable t) {
            meter.failed(t);
          }

          @Override
          public void onCompleted() {
            long now = System.nanoTime();
            lastDone.accumulateAndGet(now, Math::max);
            done.completed(now, ok);
          }
        });
  }

  private static PhaseResult result(
      Meter meter, String mode, long elapsedNanos, long cpuBefore, long cpuAfter) {
    return PhaseResult.single(
        meter.phase,
        meter.target,
        mode,
        meter.targetRate,
        Math.max(1, elapsedNanos),
        meter.sent.sum(),
        meter.allowed.sum(),
        meter.denied.sum(),
        meter.errors.sum(),
        meter.firstError(),
        meter.latencies.getIntervalHistogram(),
        cpuBefore < 0 || cpuAfter < 0 ? -1 : cpuAfter - cpuBefore);
  }

  @Override
  public void close() {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    for (ManagedChannel channel : channels) {
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
