package dev.offpath.adapters.testing;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler whose delayed and periodic tasks run only when a test calls {@link #runScheduled()};
 * plain {@link #execute} hands work to a real executor (HTTP client callbacks need one).
 */
public final class ManualScheduler extends AbstractExecutorService
    implements ScheduledExecutorService {

  private final Executor immediate;
  private final List<Task<?>> tasks = new ArrayList<>();
  private volatile boolean shutdown;

  public ManualScheduler(Executor immediate) {
    this.immediate = requireNonNull(immediate, "immediate");
  }

  /** Runs every scheduled task that has not been cancelled, once, in scheduling order. */
  public synchronized void runScheduled() {
    for (Task<?> t : List.copyOf(tasks)) {
      if (!t.isCancelled()) {
        t.runOnce();
      }
    }
    tasks.removeIf(t -> t.isDone() || t.isCancelled());
  }

  /** Tasks scheduled and not cancelled. */
  public synchronized int pending() {
    return (int) tasks.stream().filter(t -> !t.isCancelled()).count();
  }

  private synchronized <V> ScheduledFuture<V> add(Task<V> task) {
    tasks.add(task);
    return task;
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return add(new Task<Void>(command, null, false, delay));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return add(new Task<>(callable, false, delay));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    return add(new Task<Void>(command, null, true, initialDelay));
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return add(new Task<Void>(command, null, true, initialDelay));
  }

  @Override
  public void execute(Runnable command) {
    immediate.execute(command);
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown = true;
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return shutdown;
  }

  private static final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
    private final boolean periodic;
    private final long delay;

    Task(Runnable runnable, V result, boolean periodic, long delay) {
      super(runnable, result);
      this.periodic = periodic;
      this.delay = delay;
    }

    Task(Callable<V> callable, boolean periodic, long delay) {
      super(callable);
      this.periodic = periodic;
      this.delay = delay;
    }

    void runOnce() {
      if (periodic) {
        runAndReset();
      } else {
        run();
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return delay;
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(delay, o.getDelay(TimeUnit.NANOSECONDS));
    }
  }
}
