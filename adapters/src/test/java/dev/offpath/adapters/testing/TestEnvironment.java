package dev.offpath.adapters.testing;

import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.time.FakeTicker;
import dev.offpath.core.time.Ticker;
import java.time.InstantSource;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * An environment on a {@link FakeTicker} and a {@link ManualScheduler}; close it after the test.
 */
public final class TestEnvironment implements AdapterEnvironment, AutoCloseable {

  public final FakeTicker ticker = new FakeTicker();
  private final ExecutorService executor = Executors.newCachedThreadPool();
  public final ManualScheduler scheduler = new ManualScheduler(executor);

  @Override
  public Ticker ticker() {
    return ticker;
  }

  @Override
  public InstantSource clock() {
    return ticker;
  }

  @Override
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  @Override
  public String handlerName() {
    return "h.istio-system";
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
