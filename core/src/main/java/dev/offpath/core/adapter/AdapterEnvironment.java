package dev.offpath.core.adapter;

import dev.offpath.core.time.Ticker;
import dev.offpath.core.trace.Tracer;
import java.time.InstantSource;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the server lends a handler: time sources and a scheduler for background work (refreshing a
 * list from its provider URL, say). Handlers never create threads of their own, so tests can drive
 * them with a fake ticker and a manual executor.
 */
public interface AdapterEnvironment {

  /** Monotonic time, for windows and expiry. */
  Ticker ticker();

  /** Wall-clock time. */
  InstantSource clock();

  /** Shared scheduler for background work; tasks must be short or asynchronous. */
  ScheduledExecutorService scheduler();

  /** The handler's fully qualified name, for log lines. */
  String handlerName();

  /**
   * Whether this handler is the shadow of a real one, serving only dry-run rules: it must keep its
   * accounting apart from the real handler's (its own counters, its own keys in a shared store), so
   * that a dry-run rule never spends real quota.
   */
  default boolean dryRun() {
    return false;
  }

  /** Where to open spans for calls to backends (a Redis prefetch); {@link Tracer#NOOP} when off. */
  default Tracer tracer() {
    return Tracer.NOOP;
  }
}
