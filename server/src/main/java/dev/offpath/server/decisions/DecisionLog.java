package dev.offpath.server.decisions;

import static java.util.Objects.requireNonNull;

import dev.offpath.adapters.stdio.LogSink;
import dev.offpath.adapters.stdio.StdioConfig;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.runtime.AttributeReads;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.DecisionListener;
import dev.offpath.core.runtime.DryRunDenial;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens to every decision (ext_authz and ext_proc alike, through the decider): counts dry-run
 * denials ({@code offpath_rule_dry_run_denials_total{rule}}) and, when {@code --decision-log} is
 * set, writes one JSON line per logged decision ({@link DecisionLine}).
 *
 * <p><b>Sampling.</b> A denial, or a decision with a dry-run denial, is always logged; any other
 * decision with probability {@code sampleRate} (the injected random source; tests use rates 0 and 1).
 *
 * <p><b>Off the request thread.</b> The request thread only captures the decision, the time, the
 * request id and the reads' supplier (which for a cache hit rebuilds them from the entry's immutable
 * values, for a miss returns the recording the evaluation finished with) and offers them to a
 * bounded queue; when the queue is full the entry is dropped and counted ({@code
 * offpath_decision_log_dropped_total{reason="queue_full"}}), never waited for. One writer thread
 * formats and writes the lines, flushing whenever the queue runs empty; a failed write is counted
 * ({@code reason="write_error"}) and logged once per failure streak.
 *
 * <p>{@link #close} stops taking entries, writes those already queued, flushes and closes the file.
 *
 * <p>Thread-safety: {@link #decided} from any thread; the sink and formatter belong to the writer.
 */
public final class DecisionLog implements DecisionListener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DecisionLog.class);

  /** Rotation of a decision log file: the stdio adapter's defaults. */
  private static final long ROTATE_BYTES = 100L << 20;

  private static final int ROTATE_DAYS = 30;
  private static final int ROTATED_FILES = 1000;

  private final DecisionLogOptions options;
  private final InstantSource clock;
  private final DoubleSupplier random;
  private final @Nullable BlockingQueue<Pending> queue;
  private final @Nullable Thread writer;
  private final @Nullable LogSink sink;
  private final DecisionLine line;
  private final Counter dryRunDenials;
  private final ConcurrentHashMap<String, CounterDataPoint> dryRunByRule = new ConcurrentHashMap<>();
  private final CounterDataPoint written;
  private final CounterDataPoint droppedFull;
  private final CounterDataPoint droppedWrite;
  private volatile boolean closed;

  private DecisionLog(
      DecisionLogOptions options,
      PrometheusRegistry registry,
      InstantSource clock,
      DoubleSupplier random) {
    this.options = options;
    this.clock = clock;
    this.random = random;
    this.line = new DecisionLine(new HashSet<>(options.redact()));
    this.dryRunDenials =
        Counter.builder()
            .name("offpath_rule_dry_run_denials")
            .help("Denials that dry-run rules would have made, by rule; the requests were not denied.")
            .labelNames("rule")
            .withoutExemplars()
            .register(registry);
    Counter entries =
        Counter.builder()
            .name("offpath_decision_log_entries")
            .help("Decisions written to the decision log.")
            .withoutExemplars()
            .register(registry);
    Counter dropped =
        Counter.builder()
            .name("offpath_decision_log_dropped")
            .help("Decisions meant for the decision log but not written, by reason.")
            .labelNames("reason")
            .withoutExemplars()
            .register(registry);
    this.written = entries.labelValues();
    this.droppedFull = dropped.labelValues("queue_full");
    this.droppedWrite = dropped.labelValues("write_error");
    String target = options.target();
    if (target == null) {
      this.queue = null;
      this.sink = null;
      this.writer = null;
      return;
    }
    this.sink = new LogSink(sinkConfig(target), clock);
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    Thread t = new Thread(this::writeLoop, "offpath-decision-log");
    t.setDaemon(true);
    this.writer = t;
  }

  /**
   * Starts the decision log ({@code options.target()} null: only the dry-run counters).
   *
   * @throws java.io.UncheckedIOException when the log file cannot be opened
   */
  public static DecisionLog start(
      DecisionLogOptions options,
      PrometheusRegistry registry,
      InstantSource clock,
      DoubleSupplier random) {
    requireNonNull(options, "options");
    requireNonNull(registry, "registry");
    requireNonNull(clock, "clock");
    requireNonNull(random, "random");
    DecisionLog d = new DecisionLog(options, registry, clock, random);
    d.startWriter();
    return d;
  }

  /** A log whose writer is not started yet, so that tests can fill its queue. */
  static DecisionLog unstarted(
      DecisionLogOptions options,
      PrometheusRegistry registry,
      InstantSource clock,
      DoubleSupplier random) {
    return new DecisionLog(options, registry, clock, random);
  }

  void startWriter() {
    if (writer != null) {
      writer.start();
    }
  }

  private static StdioConfig sinkConfig(String target) {
    StdioConfig.Stream stream =
        switch (target) {
          case "stdout" -> StdioConfig.Stream.STDOUT;
          case "stderr" -> StdioConfig.Stream.STDERR;
          default -> StdioConfig.Stream.ROTATED_FILE;
        };
    String path = stream == StdioConfig.Stream.ROTATED_FILE ? Path.of(target).toString() : "";
    return new StdioConfig(
        stream,
        Map.of(),
        StdioConfig.Level.INFO,
        StdioConfig.Level.INFO,
        true,
        path,
        ROTATE_BYTES,
        ROTATE_DAYS,
        ROTATED_FILES);
  }

  @Override
  public void decided(
      Attributes attributes,
      Decision decision,
      boolean cached,
      Supplier<ReferencedAttributes> reads) {
    boolean dryRun = !decision.dryRunDenials().isEmpty();
    if (dryRun) {
      for (DryRunDenial d : decision.dryRunDenials()) {
        dryRunByRule.computeIfAbsent(d.rule(), dryRunDenials::labelValues).inc();
      }
    }
    BlockingQueue<Pending> q = queue;
    if (q == null || closed) {
      return;
    }
    if (decision.allowed() && !dryRun && !sampled()) {
      return;
    }
    Object id = attributes.get("request.id");
    Pending p =
        new Pending(clock.instant(), id == null ? null : id.toString(), decision, cached, reads);
    if (!q.offer(p)) {
      droppedFull.inc();
    }
  }

  private boolean sampled() {
    double rate = options.sampleRate();
    return rate >= 1 || (rate > 0 && random.getAsDouble() < rate);
  }

  private void writeLoop() {
    BlockingQueue<Pending> q = requireNonNull(queue, "queue");
    LogSink s = requireNonNull(sink, "sink");
    boolean dirty = false;
    boolean failing = false;
    while (true) {
      Pending p;
      try {
        p = dirty ? q.poll() : q.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        // close() interrupts only after setting closed; drain what is left below.
        p = null;
      }
      if (p == null) {
        if (dirty) {
          failing = flush(s, failing);
          dirty = false;
          continue;
        }
        if (closed && q.isEmpty()) {
          return;
        }
        continue;
      }
      try {
        line.format(p.time, p.requestId, p.decision, p.cached, AttributeReads.of(p.reads.get()));
        s.writeLine(line.array(), 0, line.length());
        written.inc();
        dirty = true;
        failing = false;
      } catch (IOException | RuntimeException e) {
        droppedWrite.inc();
        if (!failing) {
          log.error("decision log: write failed (further failures counted, not logged): {}", e.toString());
          failing = true;
        }
      }
    }
  }

  private boolean flush(LogSink s, boolean failing) {
    try {
      s.flush();
      return failing;
    } catch (IOException e) {
      if (!failing) {
        log.error("decision log: flush failed: {}", e.toString());
      }
      return true;
    }
  }

  /** Entries waiting for the writer. */
  public int queued() {
    BlockingQueue<Pending> q = queue;
    return q == null ? 0 : q.size();
  }

  /** Writes what is queued, then closes the log. */
  @Override
  public void close() {
    closed = true;
    Thread t = writer;
    if (t != null) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (t.isAlive()) {
        t.interrupt();
      }
    }
    LogSink s = sink;
    if (s != null && (t == null || !t.isAlive())) {
      try {
        s.close();
      } catch (IOException e) {
        log.error("decision log: close failed: {}", e.toString());
      }
    }
  }

  private record Pending(
      Instant time,
      @Nullable String requestId,
      Decision decision,
      boolean cached,
      Supplier<ReferencedAttributes> reads) {}
}
