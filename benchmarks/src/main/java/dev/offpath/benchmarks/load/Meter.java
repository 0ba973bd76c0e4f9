package dev.offpath.benchmarks.load;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;
import org.jspecify.annotations.Nullable;

/**
 * The live counts of one phase, written by the sender and the gRPC callbacks, read by the progress
 * line and at the end: sent, completed (allowed or denied), errors, latencies (a wait-free {@link
 * Recorder}) and the calls in flight, which {@link #awaitIdle} waits on.
 */
final class Meter {

  final String phase;
  final String target;
  final double targetRate;
  final LongAdder sent = new LongAdder();
  final LongAdder allowed = new LongAdder();
  final LongAdder denied = new LongAdder();
  final LongAdder errors = new LongAdder();
  final Recorder latencies = new Recorder(1_000L, 60_000_000_000L, 3);
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicReference<@Nullable String> firstError = new AtomicReference<>();
  private final Object idle = new Object();

  Meter(String phase, String target, double targetRate) {
    this.phase = phase;
    this.target = target;
    this.targetRate = targetRate;
  }

  void started() {
    sent.increment();
    inFlight.incrementAndGet();
  }

  /** A completed call, {@code nanos} after its intended (or actual) send time. */
  void completed(boolean ok, long nanos) {
    latencies.recordValue(Math.max(1_000L, Math.min(nanos, 60_000_000_000L)));
    (ok ? allowed : denied).increment();
    finished();
  }

  void failed(Throwable t) {
    errors.increment();
    firstError.compareAndSet(null, String.valueOf(t));
    finished();
  }

  /** An external unit of work done (access-log entries), counted as sent and completed. */
  void add(long n) {
    sent.add(n);
    allowed.add(n);
  }

  private void finished() {
    if (inFlight.decrementAndGet() == 0) {
      synchronized (idle) {
        idle.notifyAll();
      }
    }
  }

  long completed() {
    return allowed.sum() + denied.sum();
  }

  long inFlight() {
    return inFlight.get();
  }

  @Nullable String firstError() {
    return firstError.get();
  }

  /** Waits until no call is in flight; false when {@code timeoutNanos} passed first. */
  boolean awaitIdle(long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    synchronized (idle) {
      while (inFlight.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        idle.wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }
}
