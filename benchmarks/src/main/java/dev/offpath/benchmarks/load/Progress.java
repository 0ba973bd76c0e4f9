package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The progress line, printed every second while a phase runs: phase, target, completion rate over
 * the last second (and the rate asked for), sent, completed, errors, in flight, and what the phase
 * adds (the soak: its elapsed time and last heap sample).
 */
final class Progress implements AutoCloseable {

  private final PrintStream out;
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "load-progress");
            t.setDaemon(true);
            return t;
          });
  private final long startNanos = System.nanoTime();
  private volatile @Nullable Meter meter;
  private volatile Supplier<String> note = () -> "";
  private long lastCompleted;

  Progress(PrintStream out) {
    this.out = out;
    ticker.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
  }

  void show(@Nullable Meter meter) {
    show(meter, () -> "");
  }

  /** Shows {@code meter} with {@code note} at the end of each line (the soak's time and heap). */
  void show(@Nullable Meter meter, Supplier<String> note) {
    requireNonNull(note, "note");
    synchronized (this) {
      lastCompleted = 0;
      this.meter = meter;
      this.note = note;
    }
  }

  void message(String line) {
    out.printf(Locale.ROOT, "[%4ds] %s%n", elapsedSeconds(), line);
  }

  private long elapsedSeconds() {
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
  }

  private synchronized void tick() {
    Meter m = meter;
    if (m == null) {
      return;
    }
    long completed = m.completed();
    long rate = completed - lastCompleted;
    lastCompleted = completed;
    out.printf(
        Locale.ROOT,
        "[%4ds] %-16s %-8s rate %,9d/s%s  sent %,11d  done %,11d  errors %,d  in flight %,d%s%n",
        elapsedSeconds(),
        m.phase,
        m.target,
        rate,
        m.targetRate > 0 ? String.format(Locale.ROOT, " (of %,.0f/s)", m.targetRate) : "",
        m.sent.sum(),
        completed,
        m.errors.sum(),
        m.inFlight(),
        note.get());
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
