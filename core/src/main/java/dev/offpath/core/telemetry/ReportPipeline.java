package dev.offpath.core.telemetry;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.runtime.NotReadyException;
import org.jspecify.annotations.Nullable;
import dev.offpath.core.runtime.PolicyEngine;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The telemetry pipeline (Mixer's Report, batched): front doors hand it attribute bags and return at
 * once; worker threads take them off a bounded queue in batches and run each batch through the
 * live config's {@link ReportPlan}.
 *
 * <p><b>Two ways in.</b> {@link #offer} (the {@link ReportSink} contract) never blocks: when the
 * queue holds {@code capacity} entries or more it refuses and counts a {@link DropReason#QUEUE_FULL}
 * drop. A gRPC stream (the access-log service) applies back-pressure instead: it asks for its next
 * message only while {@link #hasCapacity()}, otherwise it registers {@link #whenCapacity} and stops
 * reading, so Envoy buffers. What it did receive it hands over with {@link #submit}, which never
 * refuses while the pipeline runs: the queue may therefore exceed {@code capacity} by at most one
 * message per open stream, a bound set by the gRPC max message size.
 *
 * <p><b>Batches.</b> A worker blocks for the first queued item, then takes whatever else is queued,
 * up to {@code batchSize} entries (a submitted message is never split), and dispatches the batch;
 * it never waits to fill a batch, so batches grow with load and latency stays one dispatch. Capacity
 * callbacks run on the worker that brings the queue down to half its capacity.
 *
 * <p><b>Exactness.</b> Every bag offered or submitted is counted once as received and, in the end,
 * once as either dispatched or dropped with a reason: {@code received == dispatched + dropped +
 * depth} at every quiescent point. {@link #close} stops accepting (later bags are {@link
 * DropReason#SHUTDOWN} drops), lets the workers dispatch everything already queued, and only what
 * is still queued when the deadline passes is counted as {@link DropReason#SHUTDOWN_TIMEOUT}, by the
 * workers themselves so nothing is counted twice.
 *
 * <p><b>Config.</b> The plan follows the {@link PolicyStore}: each batch uses the live engine's plan,
 * rebuilt once per config version.
 *
 * <p>Thread-safe. The admission path is two atomic updates and a queue insert; the stop protocol
 * ({@code accepting} flag plus an in-flight admission count) guarantees no bag is enqueued behind
 * the workers' stop markers.
 */
public final class ReportPipeline implements ReportSink, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ReportPipeline.class);

  /** Marks the end of the queue for one worker. */
  private static final List<Attributes> STOP = Collections.unmodifiableList(new ArrayList<>());

  private final PolicyStore store;
  private final RuntimeMetrics metrics;
  private final Ticker ticker;
  private final int capacity;
  private final int lowWatermark;
  private final int batchSize;
  private final LinkedBlockingQueue<List<Attributes>> queue = new LinkedBlockingQueue<>();
  private final AtomicLong depth = new AtomicLong();
  private final AtomicInteger admitting = new AtomicInteger();
  private final ConcurrentLinkedQueue<Runnable> capacityCallbacks = new ConcurrentLinkedQueue<>();
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean accepting = true;
  private volatile boolean abandon;
  private final Object planLock = new Object();
  private volatile ReportPlan plan = ReportPlan.EMPTY;

  private final LongAdder received = new LongAdder();
  private final LongAdder dispatched = new LongAdder();
  private final LongAdder batches = new LongAdder();
  private final LongAdder instanceErrors = new LongAdder();
  private final Map<DropReason, LongAdder> dropped = new EnumMap<>(DropReason.class);

  private ReportPipeline(Builder b) {
    this.store = b.store;
    this.metrics = b.metrics;
    this.ticker = b.ticker;
    this.capacity = b.capacity;
    this.lowWatermark = b.capacity / 2;
    this.batchSize = b.batchSize;
    for (DropReason r : DropReason.values()) {
      dropped.put(r, new LongAdder());
    }
    for (int i = 0; i < b.workers; i++) {
      Thread t = b.threadFactory.newThread(this::work);
      workers.add(t);
    }
    workers.forEach(Thread::start);
  }

  /** A pipeline reading its rules from {@code store}. */
  public static Builder builder(PolicyStore store) {
    return new Builder(store);
  }

  // ---------------------------------------------------------------------------------------------
  // Admission

  @Override
  public boolean offer(Attributes attributes) {
    requireNonNull(attributes, "attributes");
    received.increment();
    admitting.incrementAndGet();
    try {
      if (!accepting) {
        dropped.get(DropReason.SHUTDOWN).increment();
        return false;
      }
      if (depth.get() >= capacity) {
        dropped.get(DropReason.QUEUE_FULL).increment();
        return false;
      }
      depth.incrementAndGet();
      queue.add(List.of(attributes));
      return true;
    } finally {
      admitting.decrementAndGet();
    }
  }

  /**
   * Accepts the entries of one message a flow-controlled stream received. Never refuses while the
   * pipeline runs (the stream asked for the message only while {@link #hasCapacity()}); after
   * {@link #close} began it counts them as {@link DropReason#SHUTDOWN} drops and returns false.
   */
  public boolean submit(List<? extends Attributes> bags) {
    List<Attributes> copy = List.copyOf(bags);
    if (copy.isEmpty()) {
      return accepting;
    }
    received.add(copy.size());
    admitting.incrementAndGet();
    try {
      if (!accepting) {
        dropped.get(DropReason.SHUTDOWN).add(copy.size());
        return false;
      }
      depth.addAndGet(copy.size());
      queue.add(copy);
      return true;
    } finally {
      admitting.decrementAndGet();
    }
  }

  /** Counts entries a front door received but could not turn into attributes. */
  public void recordDropped(DropReason reason, long count) {
    requireNonNull(reason, "reason");
    if (count < 0) {
      throw new IllegalArgumentException("count: " + count + " (expected: >= 0)");
    }
    received.add(count);
    dropped.get(reason).add(count);
  }

  /** Whether a stream may ask for another message now. */
  public boolean hasCapacity() {
    return accepting && depth.get() < capacity;
  }

  /**
   * Runs {@code callback} once, when the queue has drained to half its capacity (on the worker that
   * drained it), or at once on this thread if it already has. Used by a stream that stopped reading.
   * Callbacks still waiting at {@link #close} are dropped: their streams are being closed.
   */
  public void whenCapacity(Runnable callback) {
    capacityCallbacks.add(requireNonNull(callback, "callback"));
    if (depth.get() <= lowWatermark) {
      runCapacityCallbacks();
    }
  }

  private void runCapacityCallbacks() {
    Runnable r;
    while (accepting && (r = capacityCallbacks.poll()) != null) {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.warn("capacity callback failed", e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Workers

  private void work() {
    List<Attributes> batch = new ArrayList<>(batchSize);
    boolean stop = false;
    while (!stop) {
      List<Attributes> first;
      try {
        first = queue.take();
      } catch (InterruptedException e) {
        // Only close() may stop a worker, via its marker; an interrupt from elsewhere is ignored.
        continue;
      }
      if (first == STOP) {
        break;
      }
      batch.addAll(first);
      List<Attributes> next;
      while (batch.size() < batchSize && (next = queue.poll()) != null) {
        if (next == STOP) {
          stop = true;
          break;
        }
        batch.addAll(next);
      }
      dispatch(batch);
      batch.clear();
    }
  }

  private void dispatch(List<Attributes> batch) {
    int n = batch.size();
    if (abandon) {
      dropped.get(DropReason.SHUTDOWN_TIMEOUT).add(n);
    } else {
      PolicyEngine engine = acquireEngine();
      try {
        int failures = plan(engine).dispatch(batch);
        if (failures > 0) {
          instanceErrors.add(failures);
        }
      } catch (RuntimeException e) {
        // ReportPlan isolates handler failures; this is a bug, and the batch still counts as seen.
        log.error("report batch of {} failed", n, e);
      } finally {
        if (engine != null) {
          engine.release();
        }
      }
      dispatched.add(n);
    }
    batches.increment();
    long left = depth.addAndGet(-n);
    if (left <= lowWatermark && !capacityCallbacks.isEmpty()) {
      runCapacityCallbacks();
    }
  }

  /**
   * The live engine, held for one batch so that a reload cannot close its handlers under the batch;
   * null before the first config.
   */
  private @Nullable PolicyEngine acquireEngine() {
    if (!store.hasConfig()) {
      return null;
    }
    try {
      return store.acquire();
    } catch (NotReadyException e) {
      return null;
    }
  }

  private ReportPlan plan(@Nullable PolicyEngine engine) {
    if (engine == null) {
      return ReportPlan.EMPTY;
    }
    ReportPlan p = plan;
    if (p.engine() == engine) {
      return p;
    }
    synchronized (planLock) {
      p = plan;
      if (p.engine() != engine) {
        p = ReportPlan.of(engine, metrics, ticker);
        plan = p;
      }
      return p;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  /** {@link #close(Duration)} with a 10 s deadline. */
  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }

  /**
   * Stops accepting, dispatches everything queued, and returns when the workers have finished or
   * {@code deadline} has passed. At the deadline the workers switch to counting what is still
   * queued as {@link DropReason#SHUTDOWN_TIMEOUT} instead of dispatching it, and are given up to
   * the same time again (at most 5 s) to do so; a batch stuck in a handler stays in flight.
   * Idempotent.
   *
   * @return whether everything accepted was dispatched
   */
  public synchronized boolean close(Duration deadline) {
    requireNonNull(deadline, "deadline");
    if (accepting) {
      accepting = false;
      while (admitting.get() != 0) {
        Thread.onSpinWait();
      }
      capacityCallbacks.clear();
      for (int i = 0; i < workers.size(); i++) {
        queue.add(STOP);
      }
    }
    boolean complete = joinWorkers(deadline.toNanos());
    if (!complete) {
      abandon = true;
      log.warn(
          "report pipeline: {} entries still queued after {}; counting them as dropped",
          depth.get(),
          deadline);
      joinWorkers(Math.min(deadline.toNanos(), TimeUnit.SECONDS.toNanos(5)));
    }
    return complete;
  }

  private boolean joinWorkers(long nanos) {
    long end = System.nanoTime() + nanos;
    boolean interrupted = false;
    try {
      for (Thread t : workers) {
        while (t.isAlive()) {
          long left = end - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          try {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      }
      return true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Stats

  /** Bags offered or submitted (including drops, and entries front doors counted as malformed). */
  public long received() {
    return received.sum();
  }

  /** Bags run through the report rules. */
  public long dispatched() {
    return dispatched.sum();
  }

  /** Bags dropped for {@code reason}. */
  public long dropped(DropReason reason) {
    return dropped.get(requireNonNull(reason, "reason")).sum();
  }

  /** Batches dispatched (or dropped at shutdown). */
  public long batches() {
    return batches.sum();
  }

  /** Instances that could not be built (a field failed to evaluate). */
  public long instanceErrors() {
    return instanceErrors.sum();
  }

  /** Entries queued and not yet dispatched. */
  public long depth() {
    return depth.get();
  }

  public int capacity() {
    return capacity;
  }

  /** Configures a {@link ReportPipeline}. */
  public static final class Builder {
    private final PolicyStore store;
    private RuntimeMetrics metrics = RuntimeMetrics.NOOP;
    private Ticker ticker = Ticker.system();
    private int capacity = 10_000;
    private int batchSize = 256;
    private int workers = 2;
    private ThreadFactory threadFactory =
        new ThreadFactory() {
          private final AtomicInteger n = new AtomicInteger();

          @Override
          public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "offpath-report-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          }
        };

    private Builder(PolicyStore store) {
      this.store = requireNonNull(store, "store");
    }

    /** Where dispatches and match errors are counted (Mixer's runtime metrics). */
    public Builder metrics(RuntimeMetrics metrics) {
      this.metrics = requireNonNull(metrics, "metrics");
      return this;
    }

    /** Times dispatches. */
    public Builder ticker(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    /** Entries queued before {@link #offer} refuses and streams stop reading (default 10,000). */
    public Builder capacity(int capacity) {
      if (capacity <= 0) {
        throw new IllegalArgumentException("capacity: " + capacity + " (expected: > 0)");
      }
      this.capacity = capacity;
      return this;
    }

    /** Entries a worker takes per dispatch, at most (default 256). */
    public Builder batchSize(int batchSize) {
      if (batchSize <= 0) {
        throw new IllegalArgumentException("batchSize: " + batchSize + " (expected: > 0)");
      }
      this.batchSize = batchSize;
      return this;
    }

    /** Worker threads (default 2). */
    public Builder workers(int workers) {
      if (workers <= 0) {
        throw new IllegalArgumentException("workers: " + workers + " (expected: > 0)");
      }
      this.workers = workers;
      return this;
    }

    /** Creates the worker threads (default: daemon threads named {@code offpath-report-N}). */
    public Builder threadFactory(ThreadFactory threadFactory) {
      this.threadFactory = requireNonNull(threadFactory, "threadFactory");
      return this;
    }

    /** Starts the workers. */
    public ReportPipeline start() {
      return new ReportPipeline(this);
    }
  }
}
