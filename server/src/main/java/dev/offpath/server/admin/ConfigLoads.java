package dev.offpath.server.admin;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of the last config load, for the introspection page: when, whether it went live, and
 * the errors of a rejected one ({@code file:line: message}, at most {@value #MAX_ERRORS} kept). The
 * server reports every load here (the one at start and each reload).
 *
 * <p>Thread-safe: one writer (the reload thread) publishes immutable {@link Load}s through a volatile
 * field; the admin threads read them.
 */
public final class ConfigLoads {

  static final int MAX_ERRORS = 50;

  /**
   * One load.
   *
   * @param version the config version that went live, or the one still serving after a rejection
   * @param totalErrors how many errors the rejected load had ({@code errors} keeps the first ones)
   */
  public record Load(
      Instant time, boolean accepted, long version, List<String> errors, int totalErrors) {
    public Load {
      requireNonNull(time, "time");
      errors = List.copyOf(errors);
    }
  }

  private final InstantSource clock;
  private volatile @Nullable Load last;
  private volatile long accepted;
  private volatile long rejected;

  public ConfigLoads(InstantSource clock) {
    this.clock = requireNonNull(clock, "clock");
  }

  /** A config went live as {@code version}. */
  public synchronized void accepted(long version) {
    accepted++;
    last = new Load(clock.instant(), true, version, List.of(), 0);
  }

  /** A load was rejected; {@code version} keeps serving. */
  public synchronized void rejected(long version, List<String> errors) {
    rejected++;
    last =
        new Load(
            clock.instant(),
            false,
            version,
            errors.subList(0, Math.min(errors.size(), MAX_ERRORS)),
            errors.size());
  }

  public @Nullable Load last() {
    return last;
  }

  public long acceptedCount() {
    return accepted;
  }

  public long rejectedCount() {
    return rejected;
  }
}
