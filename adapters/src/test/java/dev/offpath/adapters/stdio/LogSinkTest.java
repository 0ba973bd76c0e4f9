package dev.offpath.adapters.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.adapters.stdio.StdioConfig.Level;
import dev.offpath.adapters.stdio.StdioConfig.Stream;
import dev.offpath.core.time.FakeTicker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotation safety: pruning touches only this sink's rotated files; a failed rename keeps writing. */
class LogSinkTest {

  @TempDir Path dir;
  private final FakeTicker clock = new FakeTicker();

  private LogSink sink(int maxRotated, LogSink.Mover mover) {
    StdioConfig config =
        new StdioConfig(
            Stream.ROTATED_FILE, Map.of(), Level.INFO, Level.INFO, true,
            dir.resolve("access.log").toString(), 100, 0, maxRotated);
    return new LogSink(config, clock, mover);
  }

  private static void line(LogSink sink, String text) throws IOException {
    byte[] b = (text + "\n").getBytes(StandardCharsets.UTF_8);
    sink.writeLine(b, 0, b.length);
  }

  private List<String> names() throws IOException {
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void pruningDeletesOnlyFilesNamedAsThisSinkRotatesThem() throws Exception {
    Files.writeString(dir.resolve("access-audit.log"), "someone else's\n");
    Files.writeString(dir.resolve("access-2020-01-01.log"), "someone else's\n");
    Files.createDirectory(dir.resolve("access-2019-01-01T00-00-00.000.log"));
    try (LogSink sink = sink(1, Files::move)) {
      for (int i = 0; i < 5; i++) {
        line(sink, "x".repeat(80));
        clock.advance(Duration.ofSeconds(1));
      }
    }
    List<String> names = names();
    assertThat(names).contains("access-audit.log", "access-2020-01-01.log", "access-2019-01-01T00-00-00.000.log", "access.log");
    assertThat(names.stream().filter(n -> LogSink.isRotatedName(n, "access", ".log")).toList())
        .hasSize(2); // the directory (never deleted: not a regular file) and the one kept
    assertThat(LogSink.isRotatedName("access-2026-12-05T09-30-00.123.4.log", "access", ".log")).isTrue();
    assertThat(LogSink.isRotatedName("access-audit.log", "access", ".log")).isFalse();
  }

  @Test
  void aFailedRenameLeavesTheSinkWritingIntoTheCurrentFile() throws Exception {
    AtomicBoolean fail = new AtomicBoolean(true);
    LogSink.Mover mover =
        (from, to) -> {
          if (fail.get()) {
            throw new IOException("rename refused");
          }
          Files.move(from, to);
        };
    try (LogSink sink = sink(5, mover)) {
      line(sink, "a".repeat(80));
      line(sink, "b".repeat(80)); // rotation due: the rename fails
      line(sink, "c".repeat(80)); // within the retry delay: no new attempt
      sink.flush();
      assertThat(sink.rotationFailures()).isEqualTo(1);
      assertThat(Files.readAllLines(dir.resolve("access.log"))).hasSize(3);

      fail.set(false);
      clock.advance(LogSink.RETRY_AFTER);
      line(sink, "d".repeat(80)); // rotates now
      sink.flush();
      assertThat(Files.readAllLines(dir.resolve("access.log"))).containsExactly("d".repeat(80));
      assertThat(names()).hasSize(2);
    }
  }

  /** A batch of lines, as the handler hands it over: bytes and where each line ends. */
  private static void lines(LogSink sink, List<String> texts) throws IOException {
    StringBuilder all = new StringBuilder();
    int[] ends = new int[texts.size()];
    for (int i = 0; i < texts.size(); i++) {
      all.append(texts.get(i)).append('\n');
      ends[i] = all.toString().getBytes(StandardCharsets.UTF_8).length;
    }
    sink.writeLines(all.toString().getBytes(StandardCharsets.UTF_8), ends, texts.size());
  }

  @Test
  void aBatchIsWrittenWholeToAFileAndSplitAtLinesWhereTheFileRotates() throws Exception {
    List<String> batch = List.of("a".repeat(60), "b".repeat(60), "c".repeat(60), "d".repeat(60));
    StdioConfig file =
        new StdioConfig(
            Stream.FILE, Map.of(), Level.INFO, Level.INFO, true,
            dir.resolve("plain.log").toString(), 100, 0, 5);
    try (LogSink sink = new LogSink(file, clock)) {
      lines(sink, batch);
      lines(sink, List.of());
      lines(sink, List.of("é"));
    }
    assertThat(Files.readAllLines(dir.resolve("plain.log")))
        .containsExactly(batch.get(0), batch.get(1), batch.get(2), batch.get(3), "é");

    // rotated at 100 bytes: each 61-byte line goes to a file of its own, none is split or lost
    try (LogSink sink = sink(10, Files::move)) {
      lines(sink, batch);
    }
    List<String> all = new java.util.ArrayList<>();
    for (String name : names()) {
      if (name.startsWith("access")) {
        List<String> content = Files.readAllLines(dir.resolve(name));
        assertThat(content).hasSize(1);
        all.addAll(content);
      }
    }
    assertThat(all).containsExactlyInAnyOrderElementsOf(batch);
  }
}
