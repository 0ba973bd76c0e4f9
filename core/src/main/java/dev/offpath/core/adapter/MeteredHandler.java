package dev.offpath.core.adapter;

/**
 * A handler that keeps counters and gauges of its own (calls to a backend, circuit-breaker state,
 * …). The server reads them at scrape time and exposes each under its name with a {@code handler}
 * label added, so nothing is added to the request path.
 */
public interface MeteredHandler extends Handler {

  /** Reports the current values; called on the scrape thread, concurrently with requests. */
  void collect(MetricSink sink);

  /** Receives one handler's values. Names follow Prometheus conventions ({@code _total} added). */
  interface MetricSink {

    /**
     * A monotonic counter.
     *
     * @param labels label names and values, alternating
     */
    void counter(String name, String help, double value, String... labels);

    /**
     * A value that goes up and down.
     *
     * @param labels label names and values, alternating
     */
    void gauge(String name, String help, double value, String... labels);
  }
}
