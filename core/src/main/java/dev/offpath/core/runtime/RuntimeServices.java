package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.time.Ticker;
import java.time.InstantSource;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the server lends the runtime: the adapters, time sources, a scheduler for handlers' background
 * work, and where to report dispatches. Tests pass a fake ticker and a manual scheduler.
 *
 * @param failOpen when a decision fails (an instance cannot be built, a handler throws), allow the
 *     request instead of denying it with INTERNAL
 */
public record RuntimeServices(
    AdapterRegistry adapters,
    Ticker ticker,
    InstantSource clock,
    ScheduledExecutorService scheduler,
    RuntimeMetrics metrics,
    boolean failOpen) {

  public RuntimeServices {
    requireNonNull(adapters, "adapters");
    requireNonNull(ticker, "ticker");
    requireNonNull(clock, "clock");
    requireNonNull(scheduler, "scheduler");
    requireNonNull(metrics, "metrics");
  }
}
