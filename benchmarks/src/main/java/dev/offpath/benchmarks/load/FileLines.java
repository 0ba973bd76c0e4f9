package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Lines in a file a server's stdout is redirected to. The server's stdout is not opened for
 * appending, so the file cannot be emptied between rounds: each round counts from where the
 * previous one's last complete line ended, reading the file again. {@link #close} deletes it
 * (about 1 KB per entry).
 */
final class FileLines implements LineCounter {

  private final Path file;
  private long from;

  FileLines(Path file) throws IOException {
    this.file = requireNonNull(file, "file");
    Files.deleteIfExists(file);
  }

  Path file() {
    return file;
  }

  @Override
  public long lines() throws IOException {
    return count().lines();
  }

  @Override
  public long endRound() throws IOException {
    AccessLogLines last = count();
    from = last.lineEnd();
    return last.lines();
  }

  private AccessLogLines count() throws IOException {
    AccessLogLines lines = new AccessLogLines(from);
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      in.skipNBytes(from);
      for (int n = in.read(buf); n > 0; n = in.read(buf)) {
        lines.feed(buf, 0, n);
      }
    }
    return lines;
  }

  @Override
  public void close() throws IOException {
    Files.deleteIfExists(file);
  }
}
