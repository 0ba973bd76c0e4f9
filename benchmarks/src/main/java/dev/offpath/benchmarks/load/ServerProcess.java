package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server in its own JVM, so that its CPU time is its own: the driver's client threads are not
 * mixed into it. Output goes to a log file; {@link #close} stops it with SIGTERM (graceful), then
 * SIGKILL after ten seconds.
 */
final class ServerProcess implements Target {

  private final String name;
  private final Process process;
  private final int grpcPort;
  private final int telemetryPort;
  private final List<String> command;
  private final Path log;

  private ServerProcess(
      String name, Process process, int grpcPort, int telemetryPort, List<String> command, Path log) {
    this.name = name;
    this.process = process;
    this.grpcPort = grpcPort;
    this.telemetryPort = telemetryPort;
    this.command = command;
    this.log = log;
  }

  static ServerProcess start(
      String name, List<String> command, int grpcPort, int telemetryPort, Path log)
      throws IOException {
    requireNonNull(name, "name");
    requireNonNull(command, "command");
    requireNonNull(log, "log");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    return new ServerProcess(name, process, grpcPort, telemetryPort, List.copyOf(command), log);
  }

  /** A port free at the moment of asking (the server binds it a moment later). */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The java launcher of this JVM and the options every server JVM gets, behind {@code taskset -c
   * cpus} unless {@code cpus} is empty.
   */
  static List<String> javaCommand(List<String> jvmOptions, String cpus) {
    List<String> command = new java.util.ArrayList<>();
    if (!cpus.isEmpty()) {
      command.addAll(List.of("taskset", "-c", cpus));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (Runtime.version().feature() >= 23) {
      // Netty (inside grpc-netty-shaded) uses sun.misc.Unsafe; JDK 23+ warns about it otherwise.
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(jvmOptions);
    return command;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  int exitValue() {
    return process.exitValue();
  }

  long pid() {
    return process.pid();
  }

  /** The last lines of the server's output, for an error message. */
  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

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
    return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
  }

  @Override
  public String describe() {
    return "pid " + process.pid() + ": " + String.join(" ", command);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
