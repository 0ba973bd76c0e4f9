package dev.offpath.core.adapter;

/**
 * A configured adapter instance (Mixer's "handler"). Implement {@link CheckHandler}, {@link
 * QuotaHandler} and/or {@link ReportHandler}. Handlers are called concurrently from request threads and must never block: I/O
 * happens in the background (see {@link AdapterEnvironment#scheduler()}) or behind a prefetch.
 * {@link #close()} is called once when a config snapshot that no longer uses the handler is retired.
 */
public interface Handler extends AutoCloseable {

  @Override
  default void close() {}
}
