package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.PolicyConfig;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Holds the live {@link PolicyEngine} and swaps it whole when a new config is installed: readers
 * always see one complete snapshot (never a partial reload), versions increase by one per install.
 * The previous engine is closed after the swap; handlers it handed over keep running.
 *
 * <p>As a {@link Decider} it answers from the live engine.
 *
 * <p>Thread-safety: {@link #current()} is a volatile read from any thread; {@link #install} is
 * serialised by the caller's reload thread (and synchronized here for safety).
 */
public final class PolicyStore implements Decider, AutoCloseable {

  private final RuntimeServices services;
  private final AtomicReference<@Nullable PolicyEngine> current = new AtomicReference<>();

  public PolicyStore(RuntimeServices services) {
    this.services = requireNonNull(services, "services");
  }

  /** The live engine. */
  public PolicyEngine current() {
    PolicyEngine engine = current.get();
    if (engine == null) {
      throw new IllegalStateException("no config installed");
    }
    return engine;
  }

  @Override
  public Decision check(Attributes attributes) {
    return current().check(attributes);
  }

  @Override
  public AttributeManifest manifest() {
    return current().config().manifest();
  }

  public boolean hasConfig() {
    return current.get() != null;
  }

  /** Builds an engine for {@code config}, makes it live and retires the previous one. */
  public synchronized PolicyEngine install(PolicyConfig config) {
    PolicyEngine previous = current.get();
    long version = previous == null ? 1 : previous.version() + 1;
    PolicyEngine next = PolicyEngine.create(version, config, services, previous);
    current.set(next);
    if (previous != null) {
      previous.close();
    }
    return next;
  }

  @Override
  public synchronized void close() {
    PolicyEngine engine = current.getAndSet(null);
    if (engine != null) {
      engine.close();
    }
  }
}
