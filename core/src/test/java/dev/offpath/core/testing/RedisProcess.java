package dev.offpath.core.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One {@code redis-server} process (a data node or, with {@code --sentinel}, a sentinel) on a
 * loopback port, its output in a log file of the test's temp dir. Used by {@link RedisCluster} and
 * {@link RedisSentinelGroup}; {@link #kill()} is SIGKILL (a crash), {@link #start()} runs it again
 * with the same arguments.
 */
@SuppressWarnings("try") // close() waits for the servers to exit, so it may be interrupted
public final class RedisProcess implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private static final Set<Integer> handedOut = new HashSet<>();

  private final List<String> command;
  private final int port;
  private final Path log;
  private final String password;
  private Process process;

  RedisProcess(List<String> arguments, int port, Path log, String password) {
    this.command = new ArrayList<>();
    command.add(binary().toString());
    command.addAll(arguments);
    this.port = port;
    this.log = log;
    this.password = password;
  }

  /**
   * Starts a standalone server on a free port in {@code dir}, requiring {@code password} when not
   * null, with {@code extraArgs} (e.g. TLS settings).
   */
  public static RedisProcess standalone(Path dir, String password, String... extraArgs)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    int port = freePort(false);
    List<String> args =
        new ArrayList<>(
            List.of(
                "--port", Integer.toString(port),
                "--bind", "127.0.0.1",
                "--dir", dir.toString(),
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--loglevel", "notice"));
    if (password != null) {
      args.addAll(List.of("--requirepass", password));
    }
    args.addAll(List.of(extraArgs));
    RedisProcess p = new RedisProcess(args, port, dir.resolve("redis-" + port + ".log"), password);
    p.start();
    return p;
  }

  /** A free loopback port for a test (for a TLS port, say). */
  public static int freeLoopbackPort() throws IOException {
    return freePort(false);
  }

  public int port() {
    return port;
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  /** Starts the process and waits until it answers PING. */
  public void start() throws IOException, InterruptedException {
    if (alive()) {
      throw new IllegalStateException("already running on " + port);
    }
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server on " + port + " exited with " + process.exitValue() + "; see " + log);
      }
      try {
        if ("PONG".equals(call("PING"))) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("redis-server on " + port + " did not answer; see " + log);
      }
      Thread.sleep(20);
    }
  }

  /** SIGKILL, and waits until the process is gone. */
  public void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("redis-server on " + port + " did not exit");
      }
      process = null;
    }
  }

  /** One command to this process (authenticated when it has a password). */
  public Object call(String... args) throws IOException {
    return Resp.call(port, password, args);
  }

  /** A line {@code name:value} of {@code INFO section}, or null. */
  public String info(String section, String name) throws IOException {
    String text = String.valueOf(call("INFO", section));
    for (String line : text.split("\r\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1);
      }
    }
    return null;
  }

  /** How many times this node ran a command ({@code evalsha}, {@code eval}). */
  public long commandCalls(String name) throws IOException {
    String stats = info("commandstats", "cmdstat_" + name);
    if (stats == null) {
      return 0;
    }
    return Long.parseLong(stats.substring("calls=".length(), stats.indexOf(',')));
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }

  /**
   * A loopback port that is free now, never handed out before in this JVM, and (when {@code
   * withBus}) whose cluster bus port, {@code port + 10000}, is free too.
   */
  static synchronized int freePort(boolean withBus) throws IOException {
    for (int attempt = 0; attempt < 200; attempt++) {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      if (handedOut.contains(port) || (withBus && (port + 10_000 > 65_535 || !free(port + 10_000)))) {
        continue;
      }
      handedOut.add(port);
      if (withBus) {
        handedOut.add(port + 10_000);
      }
      return port;
    }
    throw new IllegalStateException("no free loopback port pair found");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static Path binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, "redis-server");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    for (String p : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
      if (Files.isExecutable(Path.of(p))) {
        return Path.of(p);
      }
    }
    throw new IllegalStateException(
        "redis-server not found: install Debian's redis-server package (.ci/run does)");
  }
}
