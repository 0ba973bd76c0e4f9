package dev.offpath.server;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.CheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A test-only adapter ({@code kind: gate}, installed from the test class path) whose handler
 * creation waits at a gate the test opens: it holds a config load at a known point (handlers
 * starting) without timing. Params: {@code id}. Its handler allows everything.
 */
public final class GateAdapter implements AdapterFactory<String> {

  /** A gate: {@link #started} opens when a handler creation reaches it, which then waits for {@link #open}. */
  static final class Gate {
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch open = new CountDownLatch(1);
  }

  private static final Map<String, Gate> GATES = new ConcurrentHashMap<>();

  /** Makes handler creations with {@code id} wait until the gate is opened. */
  static Gate install(String id) {
    Gate gate = new Gate();
    GATES.put(id, gate);
    return gate;
  }

  static void remove(String id) {
    Gate gate = GATES.remove(id);
    if (gate != null) {
      gate.open.countDown();
    }
  }

  @Override
  public String name() {
    return "gate";
  }

  @Override
  public Set<String> templates() {
    return Set.of("checknothing");
  }

  @Override
  public String parse(Params params) throws AdapterConfigException {
    return params.requireString("id");
  }

  @Override
  public Handler create(String id, AdapterEnvironment environment) {
    Gate gate = GATES.get(id);
    if (gate != null) {
      gate.started.countDown();
      try {
        if (!gate.open.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("gate " + id + " never opened");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted at gate " + id, e);
      }
    }
    return (CheckHandler) instance -> CheckResult.ok(Duration.ofSeconds(1), 100);
  }
}
