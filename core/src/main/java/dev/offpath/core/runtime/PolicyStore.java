package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.PolicyConfig;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the live {@link PolicyEngine} and swaps it whole when a new config is installed: readers
 * always see one complete snapshot (never a partial reload), versions increase by one per install.
 *
 * <p><b>Installs are transactions.</b> {@link #install} builds the next engine first ({@link
 * PolicyEngine#create}: all its handlers start, or none is left running); only then is it made live.
 * A failure leaves the live engine and its handlers untouched.
 *
 * <p><b>Handover.</b> Work runs on an engine it {@linkplain #acquire() acquired} and releases when
 * done (a check, a report batch). A retired engine is closed — its handlers that the successor did
 * not take over — only once every holder has released it: the store polls it on the runtime's
 * scheduler every {@link #RETIRE_POLL} and closes it when idle, or after {@link #RETIRE_LIMIT} with a
 * warning (a unit of work stuck that long in a handler). Holding costs two uncontended adder
 * increments per unit of work; nothing blocks.
 *
 * <p>As a {@link Decider} it answers from the live engine.
 *
 * <p>Thread-safety: {@link #acquire()} and {@link #current()} from any thread; {@link #install}
 * and {@link #close} are serialised here.
 */
public final class PolicyStore implements Decider, EngineSource, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PolicyStore.class);

  static final Duration RETIRE_POLL = Duration.ofMillis(20);
  static final Duration RETIRE_LIMIT = Duration.ofSeconds(60);

  private final RuntimeServices services;
  private final AtomicReference<@Nullable PolicyEngine> current = new AtomicReference<>();

  public PolicyStore(RuntimeServices services) {
    this.services = requireNonNull(services, "services");
  }

  /**
   * The live engine, for reading its config and counters. Work that dispatches to its handlers
   * {@linkplain #acquire() acquires} it instead.
   *
   * @throws NotReadyException before the first install
   */
  public PolicyEngine current() {
    PolicyEngine engine = current.get();
    if (engine == null) {
      throw new NotReadyException();
    }
    return engine;
  }

  /**
   * The live engine, held until {@link PolicyEngine#release()}: its handlers stay open until then
   * even if a reload retires it meanwhile.
   *
   * @throws NotReadyException before the first install
   */
  @Override
  public PolicyEngine acquire() {
    while (true) {
      PolicyEngine engine = current();
      engine.retain();
      if (current.get() == engine) {
        return engine;
      }
      engine.release(); // swapped while we took it: its retirement may already have seen it idle
    }
  }

  /** Decides with the live engine, held until the decision is known (see {@link Outcome}). */
  @Override
  public Outcome decide(Attributes attributes) {
    PolicyEngine engine = acquire();
    Outcome outcome;
    try {
      outcome = engine.decide(attributes);
    } catch (RuntimeException e) {
      engine.release();
      throw e;
    }
    return Holding.release(engine, outcome);
  }

  @Override
  public AttributeManifest manifest() {
    return current().config().manifest();
  }

  public boolean hasConfig() {
    return current.get() != null;
  }

  /**
   * Builds an engine for {@code config}, makes it live and retires the previous one.
   *
   * @throws ConfigException when a handler cannot start; the live engine is untouched
   */
  public synchronized PolicyEngine install(PolicyConfig config) throws ConfigException {
    PolicyEngine previous = current.get();
    long version = previous == null ? 1 : previous.version() + 1;
    PolicyEngine next = PolicyEngine.create(version, config, services, previous);
    current.set(next);
    if (previous != null) {
      retire(previous);
    }
    return next;
  }

  /** Closes {@code engine} once no work holds it; it is no longer live. */
  private void retire(PolicyEngine engine) {
    if (engine.idle()) {
      engine.close();
      return;
    }
    Retirement retirement = new Retirement(engine, services.ticker().nanoTime());
    try {
      long nanos = RETIRE_POLL.toNanos();
      retirement.task =
          services.scheduler().scheduleWithFixedDelay(retirement, nanos, nanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      engine.close(); // shutting down: nothing will poll
    }
  }

  /** Polls a retired engine until it is idle (or too long in use), then closes it. */
  private final class Retirement implements Runnable {
    private final PolicyEngine engine;
    private final long since;
    volatile @Nullable ScheduledFuture<?> task;
    private boolean done; // scheduler thread only

    Retirement(PolicyEngine engine, long since) {
      this.engine = engine;
      this.since = since;
    }

    @Override
    public void run() {
      if (done) {
        cancel();
        return;
      }
      boolean idle = engine.idle();
      if (!idle && services.ticker().nanoTime() - since < RETIRE_LIMIT.toNanos()) {
        return;
      }
      if (!idle) {
        log.warn(
            "config version {} still in use {} after it was replaced; closing its handlers",
            engine.version(),
            RETIRE_LIMIT);
      }
      done = true;
      engine.close();
      cancel();
    }

    private void cancel() {
      ScheduledFuture<?> f = task;
      if (f != null) {
        f.cancel(false);
      }
    }
  }

  /** Retires the live engine: closes it once no work holds it, waiting at most {@code grace}. */
  public synchronized void close(Duration grace) {
    PolicyEngine engine = current.getAndSet(null);
    if (engine == null) {
      return;
    }
    long end = System.nanoTime() + grace.toNanos();
    while (!engine.idle() && System.nanoTime() - end < 0) {
      try {
        Thread.sleep(RETIRE_POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    engine.close();
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
