package dev.offpath.benchmarks.load;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The progress line, printed every second while a phase runs: phase, target, completion rate over
 * the last second (and the rate asked for), sent, completed, errors, in flight.
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
  private long lastCompleted;

  Progress(PrintStream out) {
    this.out = out;
    ticker.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
  }

  void show(@Nullable Meter meter) {
    synchronized (this) {
      lastCompleted = 0;
      this.meter = meter;
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
        "[%4ds] %-16s %-8s rate %,9d/s%s  sent %,11d  done %,11d  errors %,d  in flight %,d%n",
        elapsedSeconds(),
        m.phase,
        m.target,
        rate,
        m.targetRate > 0 ? String.format(Locale.ROOT, " (of %,.0f/s)", m.targetRate) : "",
        m.sent.sum(),
        completed,
        m.errors.sum(),
        m.inFlight());
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
