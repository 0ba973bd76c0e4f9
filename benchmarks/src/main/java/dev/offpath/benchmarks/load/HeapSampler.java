package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The heap a server JVM holds after a full GC, read with the {@code jcmd} of the JDK the server
 * runs on: one {@code jcmd <pid>} call runs {@code GC.run} (a full, stop-the-world collection with
 * every collector unless {@code -XX:+ExplicitGCInvokesConcurrent}) and then {@code GC.heap_info}
 * in the same attach, so that hardly anything is allocated between the two. The heap used is the
 * "used" of {@code GC.heap_info} summed over its generations: G1's one heap line, Serial's and
 * Parallel's young and old generations, ZGC's {@code ZHeap}, Shenandoah's {@code N used}
 * (Metaspace, not heap, is left out). The admin {@code /metrics} would do too, but its reading
 * comes a process exit and an HTTP request after the GC, with the load allocating meanwhile.
 */
final class HeapSampler {

  static final String METHOD =
      "jcmd <pid> GC.run + GC.heap_info (one attach): heap used after a full GC, summed over the"
          + " generations";
  private static final Pattern USED =
      Pattern.compile("\\bused (\\d+)([KMG])\\b|\\b(\\d+) ?([KMG]) used\\b");

  private final Path jcmd;
  private final long pid;
  private final Duration timeout;

  HeapSampler(Path jcmd, long pid, Duration timeout) {
    this.jcmd = requireNonNull(jcmd, "jcmd");
    if (pid <= 0) {
      throw new IllegalArgumentException("pid: " + pid + " (expected: > 0)");
    }
    this.pid = pid;
    this.timeout = requireNonNull(timeout, "timeout");
  }

  /**
   * The {@code jcmd} beside the {@code java} launcher {@code java}; fails, saying so, when there is
   * none (a JRE, or a jlink image without jdk.jcmd).
   */
  static Path jcmdNextTo(Path java) {
    requireNonNull(java, "java");
    Path jcmd = java.resolveSibling("jcmd");
    if (!Files.isExecutable(jcmd)) {
      throw new IllegalStateException(
          "no jcmd next to " + java + " (expected: " + jcmd + "; the soak phase forces full GCs in"
              + " the server with jcmd GC.run, so the driver must run on a full JDK, not a JRE)");
    }
    return jcmd;
  }

  /** Forces a full GC in the JVM and returns the bytes of heap it holds after it. */
  long heapUsedAfterFullGc() throws IOException, InterruptedException {
    return parseHeapUsed(run("GC.run\nGC.heap_info"));
  }

  /** Runs {@code jcmd <pid> commands} (newline-separated commands run in one attach); its output. */
  String run(String commands) throws IOException, InterruptedException {
    File out = File.createTempFile("offpath-jcmd", ".txt");
    try {
      Process p =
          new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), commands))
              .redirectInput(new File("/dev/null"))
              .redirectErrorStream(true)
              .redirectOutput(out)
              .start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        throw new IOException(
            jcmd + " " + pid + ": no answer within " + timeout.toMillis() + " ms");
      }
      String output = Files.readString(out.toPath(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException(
            jcmd + " " + pid + " " + commands.replace('\n', ' ') + ": exit status " + p.exitValue()
                + ": " + output.strip());
      }
      return output;
    } finally {
      Files.deleteIfExists(out.toPath());
    }
  }

  /** The heap used that {@code GC.heap_info} prints, in bytes, summed over the generations. */
  static long parseHeapUsed(String heapInfo) {
    requireNonNull(heapInfo, "heapInfo");
    long bytes = 0;
    boolean found = false;
    for (String line : heapInfo.split("\n")) {
      if (line.contains("Metaspace") || line.contains("class space")) {
        continue;
      }
      Matcher m = USED.matcher(line);
      while (m.find()) {
        boolean before = m.group(1) != null;
        long amount = Long.parseLong(before ? m.group(1) : m.group(3));
        bytes += amount << shift(before ? m.group(2) : m.group(4));
        found = true;
      }
    }
    if (!found) {
      throw new IllegalArgumentException(
          "GC.heap_info: no heap used in " + heapInfo.strip() + " (expected: a line like"
              + " \"garbage-first heap total ..., used 2913K\")");
    }
    return bytes;
  }

  private static int shift(String unit) {
    return switch (unit) {
      case "K" -> 10;
      case "M" -> 20;
      default -> 30;
    };
  }

  long pid() {
    return pid;
  }
}
