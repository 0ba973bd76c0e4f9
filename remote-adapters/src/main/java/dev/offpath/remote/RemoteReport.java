package dev.offpath.remote;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.Instance;
import dev.offpath.core.remote.RemoteTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A report template of a remote handler: a batch of its instances goes out as one {@code
 * Handle<T>} call (repeated {@code instances}), split only where a request would exceed {@value
 * #MAX_REQUEST_BYTES} bytes (a gRPC server's default limit is 4 MiB).
 *
 * <p><b>Back-pressure.</b> At most {@code maxInFlight} calls are in flight per handler (shared by
 * its report templates, the {@link Semaphore} of {@link RemoteHandler}); {@link #report} waits for
 * a free slot, at most twice the call timeout (every call ends within its deadline, so a slot frees
 * by then), which holds the telemetry pipeline back rather than buffering without bound.
 *
 * <p><b>Accounting.</b> Every instance is either delivered (counted when the adapter answers OK)
 * or counted as dropped with a reason: the call's failure (error, timeout, unavailable), the
 * breaker (circuit_open), no free slot in time (overloaded), or an instance that does not encode
 * (invalid). {@link #report}'s future says when the calls have ended and whether all was
 * delivered (the pipeline's {@code mixer_runtime_dispatch_count}). Calls are not retried: a report
 * is not idempotent for most adapters (the dedup id is there for the adapter's own deduplication).
 *
 * <p>Thread-safe: called by several pipeline workers at once.
 */
final class RemoteReport {

  static final int MAX_REQUEST_BYTES = 1 << 20;
  private static final CompletableFuture<Boolean> FALSE = CompletableFuture.completedFuture(false);

  private final Caller caller;
  private final RequestEncoder encoder;
  private final io.grpc.MethodDescriptor<byte[], byte[]> method;
  private final Semaphore slots;
  private final long waitNanos;

  RemoteReport(Caller caller, RequestEncoder encoder, RemoteTemplate template, Semaphore slots) {
    this.caller = requireNonNull(caller, "caller");
    this.encoder = requireNonNull(encoder, "encoder");
    this.method = BytesMarshaller.method(template.fullMethodName());
    this.slots = requireNonNull(slots, "slots");
    this.waitNanos = caller.timeout.toNanos() * 2;
  }

  /**
   * Sends {@code instances} (all of this template). The future completes when every call for them
   * has ended: {@code true} when all were delivered, {@code false} when any was dropped.
   */
  CompletableFuture<Boolean> report(List<Instance> instances) {
    List<InstanceEncoder.Prepared> batch = new ArrayList<>(instances.size());
    List<CompletableFuture<Boolean>> calls = new ArrayList<>(1);
    boolean invalid = false;
    int bytes = 0;
    for (Instance instance : instances) {
      InstanceEncoder.Prepared p;
      try {
        p = encoder.instances().prepare(instance);
      } catch (RuntimeException e) {
        caller.stats.droppedInvalid(1);
        invalid = true;
        continue;
      }
      int size = encoder.reportEntrySize(p);
      if (!batch.isEmpty() && bytes + size > MAX_REQUEST_BYTES) {
        calls.add(send(batch));
        batch = new ArrayList<>();
        bytes = 0;
      }
      batch.add(p);
      bytes += size;
    }
    if (!batch.isEmpty()) {
      calls.add(send(batch));
    }
    return all(calls, !invalid);
  }

  /** {@code true} when {@code ok} and every one of {@code calls} completes {@code true}. */
  static CompletableFuture<Boolean> all(List<CompletableFuture<Boolean>> calls, boolean ok) {
    if (calls.size() == 1 && ok) {
      return calls.get(0);
    }
    CompletableFuture<Boolean> result = CompletableFuture.completedFuture(ok);
    for (CompletableFuture<Boolean> c : calls) {
      result = result.thenCombine(c, Boolean::logicalAnd);
    }
    return result;
  }

  private CompletableFuture<Boolean> send(List<InstanceEncoder.Prepared> batch) {
    int n = batch.size();
    boolean acquired;
    try {
      acquired = slots.tryAcquire(waitNanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      acquired = false;
    }
    if (!acquired) {
      caller.stats.refused(CallOutcome.OVERLOADED);
      caller.stats.dropped(CallOutcome.OVERLOADED, n);
      return FALSE;
    }
    if (!caller.breaker.tryAcquire()) {
      slots.release();
      caller.stats.refused(CallOutcome.CIRCUIT_OPEN);
      caller.stats.dropped(CallOutcome.CIRCUIT_OPEN, n);
      return FALSE;
    }
    byte[] request;
    try {
      request = encoder.report(batch, caller.nextDedupId());
    } catch (RuntimeException e) {
      slots.release();
      caller.breaker.onSuccess(); // nothing was sent: the probe, if it was one, is not a failure
      caller.stats.droppedInvalid(n);
      return FALSE;
    }
    return caller
        .call(method, request)
        .handle(
            (answer, error) -> {
              if (error == null) {
                caller.stats.reported(n);
              } else {
                caller.stats.dropped(CallOutcome.of(error), n);
              }
              slots.release();
              return error == null;
            });
  }
}
