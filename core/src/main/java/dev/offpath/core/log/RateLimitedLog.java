package dev.offpath.core.log;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.time.Ticker;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * WARN lines for errors a client can cause (a bad request, a refused handshake), at most one per
 * kind per interval: the first event of a kind in an interval is logged at once, the rest of the
 * interval is counted, and the next line logged for that kind says how many were suppressed. A
 * flood of bad input costs a counter increment per event, never a line or a stack trace.
 *
 * <p>Kinds are short fixed words chosen by the caller (never client input): the table holds at
 * most {@link #MAX_KINDS}; events of kinds past that share one overflow slot. Thread-safe and
 * lock-free; the clock is the injected {@link Ticker}.
 */
public final class RateLimitedLog {

  /** Distinct kinds tracked; a bound, since a caller bug must not grow the table without end. */
  public static final int MAX_KINDS = 256;

  private static final String OVERFLOW = "other";

  private final Logger log;
  private final Ticker ticker;
  private final long intervalNanos;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  public RateLimitedLog(Logger log, Ticker ticker, Duration interval) {
    this.log = requireNonNull(log, "log");
    this.ticker = requireNonNull(ticker, "ticker");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
    }
    this.intervalNanos = interval.toNanos();
  }

  /** One line per 10 seconds per kind, on the system ticker. */
  public static RateLimitedLog of(Logger log) {
    return new RateLimitedLog(log, Ticker.system(), Duration.ofSeconds(10));
  }

  /**
   * Logs {@code message} (an SLF4J format; never pass a {@link Throwable} meant to print a trace)
   * at WARN unless a line of this kind was logged within the interval; returns whether it logged.
   */
  public boolean warn(String kind, String message, Object... args) {
    long suppressed = admit(kind);
    if (suppressed < 0) {
      return false;
    }
    if (log.isWarnEnabled()) {
      log.warn(withCount(kind, message, suppressed), args);
    }
    return true;
  }

  /**
   * As {@link #warn}, at ERROR: for failures that are Offpath's own (a bug), where a trailing
   * {@link Throwable} argument prints its stack trace — once per interval, not once per request.
   */
  public boolean error(String kind, String message, Object... args) {
    long suppressed = admit(kind);
    if (suppressed < 0) {
      return false;
    }
    if (log.isErrorEnabled()) {
      log.error(withCount(kind, message, suppressed), args);
    }
    return true;
  }

  /** -1 when the event is counted and not logged; else the events suppressed since the last line. */
  private long admit(String kind) {
    Window w = window(kind);
    long now = ticker.nanoTime();
    long last = w.lastLogged.get();
    if ((last != Long.MIN_VALUE && now - last < intervalNanos) || !w.lastLogged.compareAndSet(last, now)) {
      w.suppressed.incrementAndGet();
      return -1;
    }
    return w.suppressed.getAndSet(0);
  }

  private static String withCount(String kind, String message, long suppressed) {
    return suppressed == 0 ? message : message + " (" + suppressed + " more [" + kind + "] suppressed)";
  }

  /** Events of {@code kind} counted but not logged since its last line. */
  public long suppressed(String kind) {
    Window w = windows.get(kind);
    return w == null ? 0 : w.suppressed.get();
  }

  private Window window(String kind) {
    Window w = windows.get(kind);
    if (w != null) {
      return w;
    }
    if (windows.size() >= MAX_KINDS) {
      return windows.computeIfAbsent(OVERFLOW, k -> new Window());
    }
    return windows.computeIfAbsent(kind, k -> new Window());
  }

  private static final class Window {
    final AtomicLong lastLogged = new AtomicLong(Long.MIN_VALUE);
    final AtomicLong suppressed = new AtomicLong();
  }
}
