package dev.offpath.adapters.stdio;

import dev.offpath.adapters.stdio.StdioConfig.Stream;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where a stdio handler's lines go: stdout, stderr, a file (appended), or a rotated file. Rotation,
 * as Mixer's (lumberjack): before a line that would take the file past its size bound, or once the
 * file is older than the day bound, the file is renamed to {@code name-<UTC time>.ext} and a new
 * one started; rotated files beyond the count bound are deleted, oldest first.
 *
 * <p>Not thread-safe; the handler serialises writes.
 */
final class LogSink implements AutoCloseable {

  private static final DateTimeFormatter ROTATED =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss.SSS").withZone(ZoneOffset.UTC);

  private final StdioConfig config;
  private final InstantSource clock;
  private final @Nullable Path path;
  private OutputStream out;
  private long size;
  private Instant openedAt;

  LogSink(StdioConfig config, InstantSource clock) {
    this.config = config;
    this.clock = clock;
    this.openedAt = clock.instant();
    switch (config.logStream()) {
      case STDOUT -> {
        this.path = null;
        this.out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
      }
      case STDERR -> {
        this.path = null;
        this.out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.err), 1 << 16);
      }
      default -> {
        this.path = Path.of(config.outputPath()).toAbsolutePath();
        this.out = open(path);
        this.size = sizeOf(path);
      }
    }
  }

  private static OutputStream open(Path path) {
    try {
      Path dir = path.getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      return new BufferedOutputStream(
          Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
          1 << 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open log file " + path, e);
    }
  }

  private static long sizeOf(Path path) {
    try {
      return Files.size(path);
    } catch (IOException e) {
      return 0;
    }
  }

  /** Writes one line (with its newline), {@code buf[off, off + len)}, rotating first when due. */
  void writeLine(byte[] buf, int off, int len) throws IOException {
    if (config.logStream() == Stream.ROTATED_FILE && size > 0 && rotationDue(len)) {
      rotate();
    }
    out.write(buf, off, len);
    size += len;
  }

  private boolean rotationDue(int len) {
    if (size + len > config.maxBytesBeforeRotation()) {
      return true;
    }
    return config.maxDaysBeforeRotation() > 0
        && Duration.between(openedAt, clock.instant()).toDays() >= config.maxDaysBeforeRotation();
  }

  private void rotate() throws IOException {
    Path p = path;
    if (p == null) {
      return;
    }
    out.close();
    String file = p.getFileName().toString();
    int dot = file.lastIndexOf('.');
    String base = dot > 0 ? file.substring(0, dot) : file;
    String ext = dot > 0 ? file.substring(dot) : "";
    Instant now = clock.instant();
    Path rotated = p.resolveSibling(base + "-" + ROTATED.format(now) + ext);
    for (int i = 1; Files.exists(rotated); i++) {
      rotated = p.resolveSibling(base + "-" + ROTATED.format(now) + "." + i + ext);
    }
    Files.move(p, rotated);
    out = open(p);
    size = 0;
    openedAt = now;
    prune(base, ext);
  }

  private void prune(String base, String ext) throws IOException {
    Path p = path;
    if (p == null || p.getParent() == null) {
      return;
    }
    List<Path> rotated = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(p.getParent(), base + "-*" + ext)) {
      dir.forEach(rotated::add);
    }
    rotated.sort(null);
    for (int i = 0; i < rotated.size() - config.maxRotatedFiles(); i++) {
      Files.deleteIfExists(rotated.get(i));
    }
  }

  void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    if (path == null) {
      out.flush();
    } else {
      out.close();
    }
  }
}
