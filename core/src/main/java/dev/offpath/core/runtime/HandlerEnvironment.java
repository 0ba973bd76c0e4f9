package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.time.Ticker;
import dev.offpath.core.trace.Tracer;
import java.time.InstantSource;
import java.util.concurrent.ScheduledExecutorService;

/** The {@link AdapterEnvironment} the runtime lends each handler it creates. */
public record HandlerEnvironment(
    Ticker ticker,
    InstantSource clock,
    ScheduledExecutorService scheduler,
    String handlerName,
    boolean dryRun,
    Tracer tracer)
    implements AdapterEnvironment {

  /** The environment of an ordinary (not dry-run) handler, tracing off. */
  public HandlerEnvironment(
      Ticker ticker, InstantSource clock, ScheduledExecutorService scheduler, String handlerName) {
    this(ticker, clock, scheduler, handlerName, false, Tracer.NOOP);
  }

  /** Tracing off. */
  public HandlerEnvironment(
      Ticker ticker,
      InstantSource clock,
      ScheduledExecutorService scheduler,
      String handlerName,
      boolean dryRun) {
    this(ticker, clock, scheduler, handlerName, dryRun, Tracer.NOOP);
  }

  /** An ordinary (not dry-run) handler. */
  public HandlerEnvironment(
      Ticker ticker,
      InstantSource clock,
      ScheduledExecutorService scheduler,
      String handlerName,
      Tracer tracer) {
    this(ticker, clock, scheduler, handlerName, false, tracer);
  }

  public HandlerEnvironment {
    requireNonNull(ticker, "ticker");
    requireNonNull(clock, "clock");
    requireNonNull(scheduler, "scheduler");
    requireNonNull(handlerName, "handlerName");
    requireNonNull(tracer, "tracer");
  }
}
