package dev.offpath.remote;

import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.time.Ticker;
import java.time.InstantSource;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** An environment with the system's clocks and a shared daemon scheduler. */
record TestEnvironment(String handlerName, Ticker ticker) implements AdapterEnvironment {

  private static final ScheduledExecutorService SCHEDULER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "test-scheduler");
            t.setDaemon(true);
            return t;
          });

  TestEnvironment(String handlerName) {
    this(handlerName, Ticker.system());
  }

  @Override
  public InstantSource clock() {
    return InstantSource.system();
  }

  @Override
  public ScheduledExecutorService scheduler() {
    return SCHEDULER;
  }
}
