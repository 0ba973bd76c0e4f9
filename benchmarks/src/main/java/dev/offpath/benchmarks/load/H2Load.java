package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * The Check phases' second client: nghttp2's {@code h2load} (Debian {@code nghttp2-client}), a C
 * client, so that the client takes less of the shared cores from the servers than the driver's
 * Java client does. It sends one pre-encoded, gRPC-framed {@code CheckRequest} ({@link #frame}: the
 * 5-byte gRPC prefix, uncompressed, then the message) as the body of every request
 * ({@code -d FILE}, {@code content-type: application/grpc}, {@code te: trailers}) to {@code
 * /envoy.service.auth.v3.Authorization/Check} over cleartext HTTP/2, {@code -c} connections × {@code
 * -m} streams each, a closed loop for a duration ({@code -D}, after {@code --warm-up-time}).
 *
 * <p>h2load has no open loop at a request rate (its {@code -r} paces new connections, not
 * requests), so only the closed loop is measured with it. It counts an HTTP 200 as a success even
 * when the gRPC status in the trailers is an error: {@link CheckComparison} checks the gRPC status
 * by a sample call with the same bytes, and for Offpath by its own {@code grpc_server_handled_total}
 * counts. Latency percentiles come from h2load's per-request log ({@code --log-file}: start µs,
 * HTTP status, µs to the end of the response), since its summary has only min/max/mean/sd.
 *
 * <p>One run at a time; not thread-safe.
 */
final class H2Load {

  static final String PATH = "/envoy.service.auth.v3.Authorization/Check";

  /** What h2load's summary says, and the latencies of its log. */
  record Result(
      double seconds,
      double requestsPerSecond,
      long total,
      long done,
      long succeeded,
      long failed,
      long errored,
      long timeout,
      long status2xx,
      long statusOther,
      Histogram latencies,
      double loggedSeconds) {

    /**
     * Checks per second over the measured window: the requests h2load logged, from the first one's
     * start to the last one's end. Not h2load's own "finished in" time, which includes the warm-up.
     */
    double rate() {
      return loggedSeconds > 0 ? latencies.getTotalCount() / loggedSeconds : requestsPerSecond;
    }

    LatencySummary latency() {
      return LatencySummary.of(latencies);
    }

    /**
     * No request failed, errored or timed out, and no status but 2xx (the gRPC status is checked
     * apart). Not "2xx == done": in a timed run h2load may count a request cut at the end as done
     * without a status.
     */
    boolean clean() {
      return failed == 0 && errored == 0 && timeout == 0 && statusOther == 0 && status2xx > 0;
    }

    String format() {
      return String.format(
          Locale.ROOT,
          "%,.0f checks/s over %.1f s logged (h2load: %,.0f req/s over %.1f s with warm-up), %,d done, %,d failed, %,d errored, %,d timeout, %,d 2xx; %s",
          rate(),
          loggedSeconds,
          requestsPerSecond,
          seconds,
          done,
          failed,
          errored,
          timeout,
          status2xx,
          latency().format());
    }
  }

  private final Path binary;
  private final Path workDir;

  H2Load(Path binary, Path workDir) {
    this.binary = requireNonNull(binary, "binary");
    this.workDir = requireNonNull(workDir, "workDir");
  }

  /** {@code h2load} on the PATH, or null. */
  static @org.jspecify.annotations.Nullable Path find() {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(":")) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, "h2load");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** A gRPC length-prefixed message: flag 0 (uncompressed), 4-byte big-endian length, bytes. */
  static byte[] frame(byte[] message) {
    return ByteBuffer.allocate(5 + message.length)
        .put((byte) 0)
        .putInt(message.length)
        .put(message)
        .array();
  }

  /** The command for one closed-loop run; {@code body} holds a {@link #frame}d request. */
  List<String> command(
      int port, Path body, int connections, int streams, Duration warmup, Duration duration, Path log) {
    List<String> c = new ArrayList<>();
    c.add(binary.toString());
    c.addAll(
        List.of(
            "-c", Integer.toString(connections),
            "-m", Integer.toString(streams),
            "-t", "1",
            "-D", seconds(duration),
            "--warm-up-time=" + seconds(warmup),
            "-d", body.toString(),
            "-H", "content-type: application/grpc",
            "-H", "te: trailers",
            "--log-file=" + log,
            "http://127.0.0.1:" + port + PATH));
    return c;
  }

  private static String seconds(Duration d) {
    return Math.max(1, d.toSeconds()) + "s";
  }

  /** Runs h2load against {@code port} and returns its parsed result. */
  Result closedLoop(
      int port, byte[] request, int connections, int streams, Duration warmup, Duration duration)
      throws IOException, InterruptedException {
    Path body = workDir.resolve("check-request.grpc");
    Files.write(body, frame(request));
    Path log = workDir.resolve("h2load-requests.log");
    Files.deleteIfExists(log);
    Process p =
        new ProcessBuilder(command(port, body, connections, streams, warmup, duration, log))
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(duration.plus(warmup).toSeconds() + 60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("h2load did not finish");
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("h2load exited with " + p.exitValue() + ":\n" + out);
    }
    Histogram h = LatencySummary.newHistogram();
    double window;
    try (BufferedReader r = Files.newBufferedReader(log)) {
      window = readLog(r, h);
    } finally {
      Files.deleteIfExists(log);
    }
    return parse(out, h, window);
  }

  private static final Pattern FINISHED =
      Pattern.compile("finished in ([0-9.]+)(us|ms|s), ([0-9.]+) req/s");
  private static final Pattern REQUESTS =
      Pattern.compile(
          "requests: (\\d+) total, \\d+ started, (\\d+) done, (\\d+) succeeded, (\\d+) failed,"
              + " (\\d+) errored, (\\d+) timeout");
  private static final Pattern CODES =
      Pattern.compile("status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");

  /** h2load's summary (stdout) with the latencies and window (s) read from its log. */
  static Result parse(String output, Histogram latencies, double loggedSeconds) {
    Matcher f = find(FINISHED, output, "finished in");
    Matcher q = find(REQUESTS, output, "requests:");
    Matcher s = find(CODES, output, "status codes:");
    double seconds =
        Double.parseDouble(f.group(1))
            / switch (f.group(2)) {
              case "us" -> 1e6;
              case "ms" -> 1e3;
              default -> 1;
            };
    long done = Long.parseLong(q.group(2));
    long twoxx = Long.parseLong(s.group(1));
    long other =
        Long.parseLong(s.group(2)) + Long.parseLong(s.group(3)) + Long.parseLong(s.group(4));
    return new Result(
        seconds,
        Double.parseDouble(f.group(3)),
        Long.parseLong(q.group(1)),
        done,
        Long.parseLong(q.group(3)),
        Long.parseLong(q.group(4)),
        Long.parseLong(q.group(5)),
        Long.parseLong(q.group(6)),
        twoxx,
        other,
        latencies,
        loggedSeconds);
  }

  private static Matcher find(Pattern p, String output, String what) {
    Matcher m = p.matcher(output);
    if (!m.find()) {
      throw new IllegalArgumentException(
          "h2load output has no '" + what + "' line:\n" + output);
    }
    return m;
  }

  /**
   * Adds each line of h2load's request log ({@code start-µs TAB status TAB duration-µs}) to {@code
   * h} in nanoseconds and returns the window the lines cover in seconds (first start to last end);
   * a line of another shape is an error naming its number.
   */
  static double readLog(BufferedReader log, Histogram h) throws IOException {
    long n = 0;
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    String line;
    while ((line = log.readLine()) != null) {
      n++;
      if (line.isEmpty()) {
        continue;
      }
      String[] cols = line.split("\t");
      if (cols.length < 3) {
        throw new IllegalArgumentException("h2load log line " + n + ": '" + line + "'");
      }
      long start;
      long micros;
      try {
        start = Long.parseLong(cols[0].trim());
        micros = Long.parseLong(cols[2].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("h2load log line " + n + ": '" + line + "'", e);
      }
      first = Math.min(first, start);
      last = Math.max(last, start + micros);
      h.recordValue(Math.min(Math.max(1_000L, micros * 1_000L), h.getHighestTrackableValue()));
    }
    return last > first ? (last - first) / 1e6 : 0;
  }

}
