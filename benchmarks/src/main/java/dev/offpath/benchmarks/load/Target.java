package dev.offpath.benchmarks.load;

/** A server under load: where it listens and, when it runs in its own process, its CPU time. */
interface Target extends AutoCloseable {

  String name();

  /** Loopback port of ext_authz (and, for Offpath, the access-log service). */
  int grpcPort();

  /** Loopback port of the mesh metrics ({@code istio_requests_total}), or -1 when it has none. */
  int telemetryPort();

  /** CPU time the server has used so far (user + system), or -1 when it shares the driver's JVM. */
  long cpuNanos();

  /** The server's process id: the driver's own for a server in its JVM. */
  long pid();

  /** One line for the report: how it runs. */
  String describe();

  /**
   * Throws, saying how and when, if the server has exited; {@code phase} is the phase just run.
   * A server in the driver's JVM cannot exit on its own: the default does nothing.
   */
  default void ensureAlive(String phase) {}

  @Override
  void close();

  /** A server in the driver's own JVM (tests): no separate CPU time. */
  static Target inProcess(String name, int grpcPort, int telemetryPort, AutoCloseable server) {
    return new Target() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public int grpcPort() {
        return grpcPort;
      }

      @Override
      public int telemetryPort() {
        return telemetryPort;
      }

      @Override
      public long cpuNanos() {
        return -1;
      }

      @Override
      public long pid() {
        return ProcessHandle.current().pid();
      }

      @Override
      public String describe() {
        return "in the driver's JVM (no separate CPU time)";
      }

      @Override
      public void close() {
        try {
          server.close();
        } catch (Exception e) {
          throw new IllegalStateException(name + " did not close", e);
        }
      }
    };
  }
}
