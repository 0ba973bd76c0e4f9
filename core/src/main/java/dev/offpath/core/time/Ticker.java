package dev.offpath.core.time;

/**
 * A monotonic nanosecond time source, injected wherever logic depends on elapsed time so that tests
 * can drive it (see {@code FakeTicker} in the core test jar). Not wall-clock time.
 */
@FunctionalInterface
public interface Ticker {

  long nanoTime();

  static Ticker system() {
    return System::nanoTime;
  }
}
