package dev.offpath.core.time;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/** A ticker and wall clock that move only when told to; starts at 2026-01-01T00:00:00Z. */
public final class FakeTicker implements Ticker, InstantSource {

  private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");
  private final AtomicLong nanos = new AtomicLong();

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  @Override
  public Instant instant() {
    return EPOCH.plusNanos(nanos.get());
  }

  public FakeTicker advance(Duration d) {
    nanos.addAndGet(d.toNanos());
    return this;
  }

  public FakeTicker advanceMillis(long millis) {
    return advance(Duration.ofMillis(millis));
  }
}
