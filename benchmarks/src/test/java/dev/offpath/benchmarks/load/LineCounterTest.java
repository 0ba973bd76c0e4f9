package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The access-log line counts of the Istio ingest variants: a file, and a named pipe. */
class LineCounterTest {

  @TempDir Path dir;

  private static final String ROUND =
      "{\"level\":\"info\",\"time\":\"t\",\"instance\":\"accesslog\"}\n"
          + "2026-12-06 INFO  Offpath - a log line of the server's own\n"
          + "{\"level\":\"warn\",\"x\":\"{\\\"level\\\":\\\"\"}\n"
          + "{\"lev\n";

  @Test
  void accessLogLinesCountOnlyCompleteJsonLinesAcrossPieces() {
    byte[] bytes = (ROUND + "{\"level\":\"info\"").getBytes(StandardCharsets.UTF_8);
    AccessLogLines lines = new AccessLogLines(0);
    for (int i = 0; i < bytes.length; i += 3) {
      lines.feed(bytes, i, Math.min(3, bytes.length - i));
    }
    assertThat(lines.lines()).isEqualTo(2);
    assertThat(lines.lineEnd()).isEqualTo(ROUND.getBytes(StandardCharsets.UTF_8).length);
  }

  @Test
  void aFileIsCountedFromWhereTheLastRoundEnded() throws Exception {
    Path file = dir.resolve("stdout.log");
    try (FileLines lines = new FileLines(file)) {
      Files.writeString(file, ROUND + "{\"level\":\"in"); // a line still being written
      assertThat(lines.awaitLines(2)).isEqualTo(2);
      Files.writeString(file, "fo\"}\n" + ROUND, StandardOpenOption.APPEND);
      assertThat(lines.awaitLines(3)).isEqualTo(3);
    }
    assertThat(file).doesNotExist();
  }

  @Test
  @Timeout(60) // a reader that does not open the pipe again leaves the second writer blocked
  void aNamedPipeIsCountedAsItIsWrittenAndAcrossWriters() throws Exception {
    Path fifo = dir.resolve("stdout.fifo");
    Path content = Files.writeString(dir.resolve("round.txt"), ROUND.repeat(1000));
    try (PipeLines lines = new PipeLines(fifo)) {
      // Two processes write to the pipe in turn, as a server started a second time would.
      for (int writer = 0; writer < 2; writer++) {
        ProcessBuilder p =
            new ProcessBuilder("cat", content.toString())
                .redirectOutput(fifo.toFile())
                .redirectInput(new File("/dev/null"))
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        assertThat(p.start().waitFor()).isZero();
        assertThat(lines.awaitLines(2000)).as("writer %d", writer).isEqualTo(2000);
      }
    }
    assertThat(fifo).doesNotExist();
  }
}
