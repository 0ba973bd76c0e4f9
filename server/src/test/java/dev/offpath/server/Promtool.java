package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs Prometheus' own {@code promtool check metrics} (Debian package {@code prometheus}) on an
 * exposition. Without promtool the check is skipped locally, and fails under CI ({@code CI=true}),
 * whose setup installs it.
 */
final class Promtool {

  private Promtool() {}

  /** The exposition parses and passes every lint rule. */
  static void checkMetrics(String exposition) throws IOException, InterruptedException {
    checkMetrics(exposition, problem -> false);
  }

  /**
   * The exposition parses, and every lint problem promtool reports (exit 3: one line each) is one
   * {@code knownLint} accepts, e.g. Mixer's own metric names kept for its runbooks.
   */
  static void checkMetrics(String exposition, Predicate<String> knownLint)
      throws IOException, InterruptedException {
    Path promtool = find();
    if (promtool == null) {
      assertThat(System.getenv("CI"))
          .as("promtool (Debian package prometheus) must be installed under CI")
          .isNotEqualTo("true");
      Assumptions.abort("promtool not installed");
    }
    Process p =
        new ProcessBuilder(promtool.toString(), "check", "metrics")
            .redirectErrorStream(true)
            .start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(exposition.getBytes(StandardCharsets.UTF_8));
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    if (p.exitValue() == 3) {
      assertThat(output.lines().filter(l -> !l.isBlank()))
          .as("promtool check metrics lint:\n%s", output)
          .allMatch(knownLint);
      return;
    }
    assertThat(p.exitValue()).as("promtool check metrics:\n%s", output).isZero();
  }

  private static Path find() {
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "/usr/bin" : path + File.pathSeparator + "/usr/bin")
        .split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "promtool");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
