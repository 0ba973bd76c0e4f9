package dev.offpath.remote;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.CircuitBreaker;
import dev.offpath.core.remote.RemoteConnection;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a handler's roles share to call the adapter: the channel lease, the circuit breaker, the
 * call counters, the deadline ({@code connection.timeout}) and dedup ids ({@code <random>-<n>},
 * unique per handler and process). {@link #call} never throws and never blocks: the future fails
 * with the gRPC status of a failed call, always within the deadline.
 *
 * <p>Calls are made in the root gRPC {@link Context}, never the caller's: a call may outlive the
 * request that caused it (a quota prefetch runs after the Check it was started by has been
 * answered; an identical Check in flight shares another's call), and a call in the Check's context
 * would be cancelled with it when that Check completes or its client goes away.
 */
final class Caller implements AutoCloseable {

  final String handler;
  final ChannelRegistry.Lease lease;
  final CircuitBreaker breaker;
  final CallStats stats = new CallStats();
  final Duration timeout;
  private final String dedupPrefix;
  private final AtomicLong dedup = new AtomicLong();

  Caller(String handler, ChannelRegistry.Lease lease, CircuitBreaker breaker, RemoteConnection c) {
    this.handler = requireNonNull(handler, "handler");
    this.lease = requireNonNull(lease, "lease");
    this.breaker = requireNonNull(breaker, "breaker");
    this.timeout = c.timeout();
    byte[] random = new byte[6];
    ThreadLocalRandom.current().nextBytes(random);
    this.dedupPrefix = HexFormat.of().formatHex(random) + "-";
  }

  String nextDedupId() {
    return dedupPrefix + Long.toHexString(dedup.incrementAndGet());
  }

  /**
   * Sends {@code request}; the future completes with the answer's bytes, or fails. The caller has
   * already passed the breaker ({@link CircuitBreaker#tryAcquire}); this settles it and counts the
   * call.
   */
  CompletableFuture<byte[]> call(MethodDescriptor<byte[], byte[]> method, byte[] request) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    stats.started();
    Context previous = Context.ROOT.attach();
    try {
      ClientCalls.asyncUnaryCall(
          lease.channel()
              .newCall(method, CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)),
          request,
          new StreamObserver<byte[]>() {
            private byte[] answer = new byte[0];

            @Override
            public void onNext(byte[] value) {
              answer = value;
            }

            @Override
            public void onError(Throwable t) {
              CallOutcome o = CallOutcome.of(t);
              stats.ended(o);
              breaker.onFailure();
              result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
              stats.ended(CallOutcome.OK);
              breaker.onSuccess();
              result.complete(answer);
            }
          });
    } catch (RuntimeException e) {
      stats.ended(CallOutcome.ERROR);
      breaker.onFailure();
      result.completeExceptionally(e);
    } finally {
      Context.ROOT.detach(previous);
    }
    return result;
  }

  @Override
  public void close() {
    lease.close();
  }
}
