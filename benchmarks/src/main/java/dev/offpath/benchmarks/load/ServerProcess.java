package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A server in its own JVM, so that its CPU time is its own: the driver's client threads are not
 * mixed into it. Output goes to a log file, stdin comes from /dev/null (no pipe to the driver);
 * {@link #close} stops it with SIGTERM (graceful), then SIGKILL after ten seconds.
 *
 * <p>{@link #close} is the driver's only way to stop a server, and it marks the process as being
 * stopped first: an exit without it (a server JVM that got SIGTERM from elsewhere exits with 143
 * after logging a graceful stop) is reported as such, with the status, the signal and how long
 * after the start it happened ({@link #exitReport}, {@link #onUnexpectedExit}).
 */
final class ServerProcess implements Target {

  private final String name;
  private final Process process;
  private final int grpcPort;
  private final int telemetryPort;
  private final List<String> command;
  private final Path log;
  private final long startedNanos;
  private volatile long readyNanos;
  private volatile long exitedNanos;
  private volatile boolean stopping;

  private ServerProcess(
      String name, Process process, int grpcPort, int telemetryPort, List<String> command, Path log) {
    this.name = name;
    this.process = process;
    this.grpcPort = grpcPort;
    this.telemetryPort = telemetryPort;
    this.command = command;
    this.log = log;
    this.startedNanos = System.nanoTime();
    process.onExit().thenRun(() -> exitedNanos = System.nanoTime());
  }

  static ServerProcess start(
      String name, List<String> command, int grpcPort, int telemetryPort, Path log)
      throws IOException {
    requireNonNull(name, "name");
    requireNonNull(command, "command");
    requireNonNull(log, "log");
    Process process =
        new ProcessBuilder(command)
            .redirectInput(new File("/dev/null"))
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
    command.add(java().toString());
    if (Runtime.version().feature() >= 23) {
      // Netty (inside grpc-netty-shaded) uses sun.misc.Unsafe; JDK 23+ warns about it otherwise.
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    if (Runtime.version().feature() >= 24) {
      // Netty loads its native transport with System.loadLibrary, a restricted method since JDK 24.
      command.add("--enable-native-access=ALL-UNNAMED");
    }
    command.addAll(jvmOptions);
    return command;
  }

  /** The java launcher of this JVM, which starts the server JVMs. */
  static Path java() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  boolean isAlive() {
    return process.isAlive();
  }

  int exitValue() {
    return process.exitValue();
  }

  @Override
  public long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  /** The server answered its first request: later exits are timed from here too. */
  void ready() {
    readyNanos = System.nanoTime();
  }

  /**
   * Calls {@code report} with {@link #exitReport} if the process exits while not being stopped by
   * {@link #close} (on a thread of the process reaper's); the future completes after that.
   */
  CompletableFuture<Void> onUnexpectedExit(Consumer<String> report) {
    requireNonNull(report, "report");
    return process
        .onExit()
        .thenRun(
            () -> {
              if (!stopping) {
                report.accept(exitReport());
              }
            });
  }

  /**
   * How the process ended: status, the signal a status above 128 stands for, when (after the
   * start and after {@link #ready}), and whether this driver had asked it to stop.
   */
  String exitReport() {
    if (process.isAlive()) {
      return name + " (pid " + process.pid() + ") is running";
    }
    int status = process.exitValue();
    long exited = exitedNanos == 0 ? System.nanoTime() : exitedNanos;
    long ready = readyNanos;
    return String.format(
        Locale.ROOT,
        "%s (pid %d) exited with status %d%s, %.1f s after its start%s; %s",
        name,
        process.pid(),
        status,
        signal(status),
        (exited - startedNanos) / 1e9,
        ready == 0
            ? " (before it was ready)"
            : String.format(Locale.ROOT, ", %.1f s after it was ready", (exited - ready) / 1e9),
        stopping
            ? "the driver had stopped it"
            : "the driver had NOT stopped it (it stops a server only at the end of the run or when its"
                + " start fails), so "
                + (status > 128 ? "another process sent the signal" : "it ended on its own"));
  }

  /** " (SIGTERM)" for 143 and so on: a JVM killed by signal N exits with 128 + N. */
  static String signal(int status) {
    return switch (status) {
      case 129 -> " (SIGHUP)";
      case 130 -> " (SIGINT)";
      case 134 -> " (SIGABRT)";
      case 137 -> " (SIGKILL)";
      case 143 -> " (SIGTERM)";
      default -> status > 128 && status < 160 ? " (signal " + (status - 128) + ")" : "";
    };
  }

  @Override
  public void ensureAlive(String phase) {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          "during or before the " + phase + " phase: " + exitReport() + "; end of its log:\n"
              + logTail());
    }
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
    stopping = true;
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
