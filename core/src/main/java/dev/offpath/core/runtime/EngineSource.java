package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import java.util.function.Supplier;

/**
 * Where a unit of work (a check, a report batch) gets the engine it runs on. The engine is held
 * from {@link #acquire()} to {@link PolicyEngine#release()}, and a retired engine's handlers are
 * closed only once every holder has released it (README, "Reloads").
 */
@FunctionalInterface
public interface EngineSource {

  /**
   * The live engine, held until {@link PolicyEngine#release()}.
   *
   * @throws NotReadyException when no config has been installed yet
   */
  PolicyEngine acquire();

  /** A source over engines that are never retired while in use (tests, offline tools). */
  static EngineSource of(Supplier<PolicyEngine> engines) {
    requireNonNull(engines, "engines");
    return () -> {
      PolicyEngine engine = engines.get();
      engine.retain();
      return engine;
    };
  }
}
