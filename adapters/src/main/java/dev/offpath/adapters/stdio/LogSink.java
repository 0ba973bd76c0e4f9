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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a stdio handler's lines go: stdout, stderr, a file (appended), or a rotated file. Rotation,
 * as Mixer's (lumberjack): before a line that would take the file past its size bound, or once the
 * file is older than the day bound, the file is renamed to {@code name-<UTC time>.ext} and a new
 * one started; rotated files beyond the count bound are deleted, oldest first.
 *
 * <p>Safety (README "Security"): pruning deletes only files named exactly as this sink names its
 * rotated files ({@code name-yyyy-MM-ddTHH-mm-ss.SSS[.n].ext}), never another file that merely
 * shares the prefix ({@code access-audit.log} next to {@code access.log}). A rotation that fails
 * (the rename, the new file, a prune) never leaves the sink closed: the current file is opened
 * again and writing goes on into it, the failure is counted ({@link #rotationFailures()}) and
 * logged, and the next attempt waits {@link #RETRY_AFTER} so that a persistent failure does not
 * cost a reopen per line.
 *
 * <p>Public for the server's decision log, which writes its lines with the same rotation.
 *
 * <p>Not thread-safe; the handler (or the decision log's writer thread) serialises writes.
 */
public final class LogSink implements AutoCloseable {

  private static final DateTimeFormatter ROTATED =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss.SSS").withZone(ZoneOffset.UTC);

  /** After a failed rotation, the next one is tried no sooner than this. */
  static final Duration RETRY_AFTER = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(LogSink.class);

  /** Renames a file; a seam for tests (a failing rename cannot be provoked as root). */
  interface Mover {
    void move(Path from, Path to) throws IOException;
  }

  private final StdioConfig config;
  private final InstantSource clock;
  private final Mover mover;
  private final @Nullable Path path;
  private OutputStream out;
  private long size;
  private Instant openedAt;
  private @Nullable Instant retryAt;
  private long rotationFailures;
  private boolean reopen; // the file could not be opened again after a rotation

  /**
   * Opens the stream or file {@code config} names ({@code logStream}, {@code outputPath} and the
   * rotation bounds; the other fields are not used here).
   *
   * @throws java.io.UncheckedIOException when the file cannot be opened
   */
  public LogSink(StdioConfig config, InstantSource clock) {
    this(config, clock, (from, to) -> Files.move(from, to));
  }

  LogSink(StdioConfig config, InstantSource clock, Mover mover) {
    this.config = config;
    this.clock = clock;
    this.mover = mover;
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
  public void writeLine(byte[] buf, int off, int len) throws IOException {
    if (reopen && path != null) {
      out = open(path); // throws (the line is counted as failed) until the file can be opened
      reopen = false;
      size = sizeOf(path);
    }
    if (config.logStream() == Stream.ROTATED_FILE && size > 0 && rotationDue(len)) {
      rotate();
    }
    out.write(buf, off, len);
    size += len;
  }

  /**
   * Writes {@code count} lines, line {@code i} ending at {@code ends[i]} (the first starts at 0):
   * in one write when the sink does not rotate, so that a large batch goes past the stream's buffer
   * to the file instead of being copied into it; line by line otherwise ({@link #writeLine}: the
   * file may have to rotate between two lines).
   */
  public void writeLines(byte[] buf, int[] ends, int count) throws IOException {
    if (count == 0) {
      return;
    }
    if (config.logStream() == Stream.ROTATED_FILE || reopen) {
      int start = 0;
      for (int i = 0; i < count; i++) {
        writeLine(buf, start, ends[i] - start);
        start = ends[i];
      }
      return;
    }
    out.write(buf, 0, ends[count - 1]);
    size += ends[count - 1];
  }

  private boolean rotationDue(int len) {
    if (retryAt != null) {
      if (clock.instant().isBefore(retryAt)) {
        return false;
      }
      retryAt = null;
    }
    if (size + len > config.maxBytesBeforeRotation()) {
      return true;
    }
    return config.maxDaysBeforeRotation() > 0
        && Duration.between(openedAt, clock.instant()).toDays() >= config.maxDaysBeforeRotation();
  }

  /** Rotations that failed (the file kept being written); for tests and the handler's metrics. */
  long rotationFailures() {
    return rotationFailures;
  }

  private void rotate() throws IOException {
    Path p = path;
    if (p == null) {
      return;
    }
    String file = p.getFileName().toString();
    int dot = file.lastIndexOf('.');
    String base = dot > 0 ? file.substring(0, dot) : file;
    String ext = dot > 0 ? file.substring(dot) : "";
    Instant now = clock.instant();
    Path rotated = p.resolveSibling(base + "-" + ROTATED.format(now) + ext);
    for (int i = 1; Files.exists(rotated); i++) {
      rotated = p.resolveSibling(base + "-" + ROTATED.format(now) + "." + i + ext);
    }
    try {
      out.close();
    } catch (IOException e) {
      // the bytes that did not reach the file are lost either way; the rotation goes on
      log.warn("stdio: closing {} before rotation failed: {}", p, e.toString());
    }
    try {
      mover.move(p, rotated);
    } catch (IOException | RuntimeException e) {
      rotationFailures++;
      retryAt = now.plus(RETRY_AFTER);
      log.warn("stdio: rotating {} failed ({}); writing on into it, next try in {}", p, e.toString(), RETRY_AFTER);
      reopenAfterFailure(p); // append to the file that could not be renamed
      return;
    }
    reopenAfterFailure(p);
    size = 0;
    openedAt = now;
    try {
      prune(base, ext);
    } catch (IOException | RuntimeException e) {
      rotationFailures++;
      log.warn("stdio: pruning rotated files of {} failed: {}", p, e.toString());
    }
  }

  private void reopenAfterFailure(Path p) {
    try {
      out = open(p);
    } catch (UncheckedIOException e) {
      rotationFailures++;
      reopen = true;
      log.warn("stdio: cannot open {} after rotation: {}; retrying on the next line", p, String.valueOf(e.getCause()));
    }
  }

  /** Whether {@code name} is one this sink gives a rotated file of {@code base}/{@code ext}. */
  static boolean isRotatedName(String name, String base, String ext) {
    if (!name.startsWith(base + "-") || !name.endsWith(ext)) {
      return false;
    }
    String middle = name.substring(base.length() + 1, name.length() - ext.length());
    return ROTATED_NAME.matcher(middle).matches();
  }

  private static final java.util.regex.Pattern ROTATED_NAME =
      java.util.regex.Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3}(\\.\\d+)?");

  private void prune(String base, String ext) throws IOException {
    Path p = path;
    if (p == null || p.getParent() == null) {
      return;
    }
    List<Path> rotated = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(p.getParent(), base + "-*" + ext)) {
      for (Path f : dir) {
        if (isRotatedName(f.getFileName().toString(), base, ext) && Files.isRegularFile(f)) {
          rotated.add(f);
        }
      }
    }
    rotated.sort(null);
    for (int i = 0; i < rotated.size() - config.maxRotatedFiles(); i++) {
      Files.deleteIfExists(rotated.get(i));
    }
  }

  public void flush() throws IOException {
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
