package dev.offpath.server.tls;

import java.util.concurrent.atomic.LongAdder;

/**
 * The TLS counters: refused handshakes by {@link HandshakeFailure}, and certificate reloads by
 * outcome. Written on event loops and the watcher thread, read at scrape time. Thread-safe.
 */
public final class TlsStats {

  private final LongAdder[] failures = new LongAdder[HandshakeFailure.values().length];
  private final LongAdder reloaded = new LongAdder();
  private final LongAdder rejected = new LongAdder();

  TlsStats() {
    for (int i = 0; i < failures.length; i++) {
      failures[i] = new LongAdder();
    }
  }

  void failed(HandshakeFailure reason) {
    failures[reason.ordinal()].increment();
  }

  public long failures(HandshakeFailure reason) {
    return failures[reason.ordinal()].sum();
  }

  void reloaded() {
    reloaded.increment();
  }

  void rejected() {
    rejected.increment();
  }

  /** Certificate reloads that were installed. */
  public long reloads() {
    return reloaded.sum();
  }

  /** Certificate reloads refused (a bad pair); the last good one kept serving. */
  public long rejectedReloads() {
    return rejected.sum();
  }
}
