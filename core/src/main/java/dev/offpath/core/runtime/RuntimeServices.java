package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.time.Ticker;
import dev.offpath.core.trace.Tracer;
import java.time.InstantSource;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the server lends the runtime: the adapters, time sources, a scheduler for handlers' background
 * work, and where to report dispatches. Tests pass a fake ticker and a manual scheduler.
 *
 * @param failOpen when a decision fails (an instance cannot be built, a handler throws), allow the
 *     request instead of denying it with INTERNAL
 * @param tracer where handlers open spans for their background calls ({@link Tracer#NOOP}: off)
 */
public record RuntimeServices(
    AdapterRegistry adapters,
    Ticker ticker,
    InstantSource clock,
    ScheduledExecutorService scheduler,
    RuntimeMetrics metrics,
    boolean failOpen,
    Tracer tracer) {

  /** Tracing off. */
  public RuntimeServices(
      AdapterRegistry adapters,
      Ticker ticker,
      InstantSource clock,
      ScheduledExecutorService scheduler,
      RuntimeMetrics metrics,
      boolean failOpen) {
    this(adapters, ticker, clock, scheduler, metrics, failOpen, Tracer.NOOP);
  }

  public RuntimeServices {
    requireNonNull(adapters, "adapters");
    requireNonNull(ticker, "ticker");
    requireNonNull(clock, "clock");
    requireNonNull(scheduler, "scheduler");
    requireNonNull(metrics, "metrics");
    requireNonNull(tracer, "tracer");
  }
}
