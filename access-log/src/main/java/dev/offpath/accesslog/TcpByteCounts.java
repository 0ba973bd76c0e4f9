package dev.offpath.accesslog;

import dev.offpath.core.time.Ticker;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The byte counts last seen for each TCP connection of one access-log stream, so that an
 * intermediate entry's counts (the connection's totals so far) become deltas since its previous
 * entry, as Mixer defined {@code connection.sent.bytes}.
 *
 * <p>Bounded, in entries and in time: a connection whose final entry never came (Envoy restarted,
 * the stream broke) ages out after {@code idleNanos} without an entry, and at {@code max} entries the
 * connection seen least recently makes room for a new one. A new connection is therefore always
 * tracked, and its later entries are deltas — never its cumulative totals counted again, which is
 * what refusing to track new connections past the cap would do. Only a connection evicted while
 * still alive has its next entry counted as its total so far (its earlier bytes twice); the
 * evictions and age-outs are counted so that this is visible.
 *
 * <p>Not thread-safe: one per stream, used under the stream's lock. The counters are shared.
 */
final class TcpByteCounts {

  private final int max;
  private final long idleNanos;
  private final Ticker ticker;
  private final LongAdder evicted;
  private final LongAdder agedOut;
  private final LinkedHashMap<String, Seen> seen = new LinkedHashMap<>(16, 0.75f, true);

  TcpByteCounts(int max, long idleNanos, Ticker ticker, LongAdder evicted, LongAdder agedOut) {
    this.max = max;
    this.idleNanos = idleNanos;
    this.ticker = ticker;
    this.evicted = evicted;
    this.agedOut = agedOut;
  }

  /** Deltas {sent, received} for an entry of {@code connection}; {@code last} forgets it. */
  long[] delta(String connection, long sent, long received, boolean last) {
    long now = ticker.nanoTime();
    ageOut(now);
    Seen s = last ? seen.remove(connection) : seen.get(connection);
    long sentDelta = s == null ? sent : Math.max(0, sent - s.sent);
    long receivedDelta = s == null ? received : Math.max(0, received - s.received);
    if (!last) {
      if (s == null) {
        if (seen.size() >= max) {
          Iterator<Seen> eldest = seen.values().iterator();
          eldest.next();
          eldest.remove();
          evicted.increment();
        }
        s = new Seen();
        seen.put(connection, s);
      }
      s.sent = Math.max(s.sent, sent);
      s.received = Math.max(s.received, received);
      s.atNanos = now;
    }
    return new long[] {sentDelta, receivedDelta};
  }

  /** Drops connections not seen for {@code idleNanos}; the map is in access order, eldest first. */
  private void ageOut(long now) {
    Iterator<Map.Entry<String, Seen>> it = seen.entrySet().iterator();
    while (it.hasNext()) {
      Seen s = it.next().getValue();
      if (now - s.atNanos < idleNanos) {
        return;
      }
      it.remove();
      agedOut.increment();
    }
  }

  int size() {
    return seen.size();
  }

  private static final class Seen {
    long sent;
    long received;
    long atNanos;
  }
}
