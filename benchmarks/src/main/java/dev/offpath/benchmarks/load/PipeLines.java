package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A named pipe (made with {@code mkfifo}) that a server's stdout is redirected to, read as it is
 * written by a thread of the driver that counts the access-log lines: stdout as a container runtime
 * collects it, where the server's writes never touch a page cache. The reader opens the pipe again
 * after an end of stream (a server started a second time writes to it anew). Its CPU is the
 * driver's, on the same cores, as a runtime's would be on the same node. {@link #close} stops the
 * reader and deletes the pipe.
 */
final class PipeLines implements LineCounter {

  private final Path fifo;
  private final Thread reader;
  private final AccessLogLines lines = new AccessLogLines(0);
  private volatile long total;
  private volatile boolean closed;
  private volatile @Nullable IOException failure;
  private long seen;

  PipeLines(Path fifo) throws IOException, InterruptedException {
    this.fifo = requireNonNull(fifo, "fifo");
    Files.deleteIfExists(fifo);
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    if (mkfifo.waitFor() != 0 || !Files.exists(fifo)) {
      throw new IOException("mkfifo " + fifo + " failed (exit " + mkfifo.exitValue() + ")");
    }
    this.reader = new Thread(this::read, "pipe-lines");
    reader.setDaemon(true);
    reader.start();
  }

  Path fifo() {
    return fifo;
  }

  private void read() {
    byte[] buf = new byte[1 << 16];
    while (!closed) {
      // Opening blocks until a writer opens the pipe.
      try (InputStream in = Files.newInputStream(fifo)) {
        for (int n = in.read(buf); n > 0; n = in.read(buf)) {
          lines.feed(buf, 0, n);
          total = lines.lines();
        }
      } catch (IOException e) {
        if (!closed) {
          failure = e;
        }
        return;
      }
    }
  }

  @Override
  public long lines() throws IOException {
    IOException e = failure;
    if (e != null) {
      throw new IOException("reading " + fifo + " failed", e);
    }
    return total - seen;
  }

  @Override
  public long endRound() throws IOException {
    long now = lines();
    seen += now;
    return now;
  }

  /**
   * Stops counting: the reader ends at the end of stream of the server, which must have exited;
   * a reader still waiting for a writer (a server that never started) is a daemon thread and is
   * left waiting.
   */
  @Override
  public void close() throws IOException {
    closed = true;
    try {
      reader.join(TimeUnit.SECONDS.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Files.deleteIfExists(fifo);
  }
}
