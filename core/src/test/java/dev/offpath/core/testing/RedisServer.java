package dev.offpath.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's package; {@code .ci/run} installs it) on a free loopback
 * port, without persistence, for tests. {@link #stop()} kills it and {@link #start()} brings it back
 * on the same port, empty, as a crashed and restarted Redis would be. Close it after the test.
 */
@SuppressWarnings("try") // close() waits for the process to exit, so it may be interrupted
public final class RedisServer implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Path binary;
  private final int port;
  private Process process;

  private RedisServer(Path binary, int port) {
    this.binary = binary;
    this.port = port;
  }

  /** Starts a server on a free port; fails (never skips) when redis-server is not installed. */
  public static RedisServer start() throws IOException, InterruptedException {
    RedisServer server = new RedisServer(findBinary(), freePort());
    server.restart();
    return server;
  }

  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:port}, Mixer's {@code redisServerUrl} form. */
  public String url() {
    return "127.0.0.1:" + port;
  }

  /** Kills the server (SIGKILL: no goodbye to clients) and waits until it is gone. */
  public void stop() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("redis-server did not exit");
      }
      process = null;
    }
  }

  /** Starts the server (again) on the same port and waits until it answers PING. */
  public void restart() throws IOException, InterruptedException {
    if (process != null) {
      throw new IllegalStateException("already running");
    }
    process =
        new ProcessBuilder(
                List.of(
                    binary.toString(),
                    "--port", Integer.toString(port),
                    "--bind", "127.0.0.1",
                    "--save", "",
                    "--appendonly", "no",
                    "--daemonize", "no",
                    "--loglevel", "warning"))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server exited with " + process.exitValue() + " (port " + port + " taken?)");
      }
      try {
        if (command("PING").equals("+PONG")) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("redis-server did not answer within " + START_TIMEOUT);
      }
      Thread.sleep(10);
    }
  }

  /**
   * Sends one inline command and returns the first line of the answer ({@code +PONG}, {@code :42},
   * {@code $5} for a bulk string, whose value is then on the next line: see {@link #get}).
   */
  public String command(String inline) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write((inline + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      return readLine(socket.getInputStream());
    }
  }

  /** The value of a string key, or null. */
  public String get(String key) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write(("GET " + key + "\r\n").getBytes(StandardCharsets.UTF_8));
      InputStream in = socket.getInputStream();
      String header = readLine(in);
      return header.equals("$-1") ? null : readLine(in);
    }
  }

  /** How many times Redis ran a command, from {@code INFO commandstats} ({@code evalsha}, …). */
  public long commandCalls(String name) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write("INFO commandstats\r\n".getBytes(StandardCharsets.UTF_8));
      InputStream in = socket.getInputStream();
      String header = readLine(in);
      int length = Integer.parseInt(header.substring(1));
      byte[] body = in.readNBytes(length);
      String prefix = "cmdstat_" + name + ":calls=";
      for (String line : new String(body, StandardCharsets.UTF_8).split("\r\n")) {
        if (line.startsWith(prefix)) {
          return Long.parseLong(line.substring(prefix.length(), line.indexOf(',')));
        }
      }
      return 0;
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\r') {
        in.read();
        return line.toString();
      }
      line.append((char) c);
    }
    throw new IOException("connection closed after '" + line + "'");
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  private static Path findBinary() {
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

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
