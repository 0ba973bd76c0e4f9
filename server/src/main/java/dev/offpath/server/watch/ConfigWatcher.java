package dev.offpath.server.watch;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import dev.offpath.core.config.ConfigFiles;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls a reload callback when the content of the config files changes.
 *
 * <p>What is watched: exactly the files the loader reads ({@link ConfigFiles}' rule: each given
 * file, and under each given directory the visible {@code .yaml}/{@code .yml} files, following
 * visible links, skipping hidden names such as a ConfigMap's {@code ..data}).
 *
 * <p>How: a change is decided by a SHA-256 fingerprint over the paths and contents of all watched
 * files, never by file events or timestamps, so that every way of changing a file looks the same:
 * writing in place, an editor's write-and-rename, a ConfigMap's symlink swap, deletion, a touch
 * (which is no change). {@link WatchService} events only say when to look: the parent directory of
 * every given path is watched along with every directory under a given directory, so renames and
 * symlink swaps next to a file are seen. Directories that appear later are registered at the next
 * look.
 *
 * <p>Threads: a watch thread blocks on the {@link WatchService} and, once events have stopped
 * arriving for the debounce period, asks the reload thread to look. The reload thread alone computes
 * fingerprints and runs the callback, so callbacks never overlap and run in order; {@link #pollNow()}
 * and the optional fallback poll run there too. The baseline fingerprint is taken in {@link
 * Builder#start()}: start the watcher before loading the config the first time, and a change made
 * in between costs at most one extra reload rather than being missed.
 */
public final class ConfigWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);
  static final String RELOAD_THREAD = "offpath-config-reload";

  private final List<Path> roots;
  private final Duration debounce;
  private final Runnable onChange;
  private final WatchService watchService;
  private final ScheduledExecutorService reloader;
  private final Thread watchThread;
  private final Map<Path, WatchedDirectory> watched = new ConcurrentHashMap<>();
  private byte[] lastFingerprint = new byte[0]; // reload thread only
  private volatile boolean closed;

  private ConfigWatcher(Builder b) throws IOException {
    roots = b.paths.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    debounce = b.debounce;
    onChange = b.onChange;
    watchService = FileSystems.getDefault().newWatchService();
    reloader =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, RELOAD_THREAD);
              t.setDaemon(true);
              return t;
            });
    watchThread = new Thread(this::watchLoop, "offpath-config-watch");
    watchThread.setDaemon(true);
    try {
      reloader.submit(() -> lastFingerprint = fingerprint()).get();
    } catch (ExecutionException | InterruptedException e) {
      close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IOException("cannot read config paths " + roots, e);
    }
    watchThread.start();
    if (!b.pollInterval.isZero()) {
      long nanos = b.pollInterval.toNanos();
      reloader.scheduleWithFixedDelay(this::checkLogged, nanos, nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** A watcher of {@code paths} (files or directories) calling {@code onChange} on change. */
  public static Builder builder(List<Path> paths, Runnable onChange) {
    return new Builder(paths, onChange);
  }

  /**
   * Looks now, on the reload thread, and runs the callback there if the fingerprint changed. Returns
   * whether it did. Waits for any look already under way.
   *
   * @throws IllegalStateException when closed
   */
  public boolean pollNow() throws InterruptedException {
    try {
      return reloader.submit(this::check).get();
    } catch (RejectedExecutionException e) {
      throw new IllegalStateException("config watcher is closed", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("config check failed", e.getCause());
    }
  }

  /** Stops watching; waits a bounded time for a running callback to finish. Idempotent. */
  @Override
  public void close() {
    closed = true;
    try {
      watchService.close();
    } catch (IOException e) {
      log.debug("closing watch service", e);
    }
    reloader.shutdown();
    try {
      if (!reloader.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("config reload callback still running after close");
      }
      if (watchThread.isAlive()) {
        watchThread.join(TimeUnit.SECONDS.toMillis(10));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void watchLoop() {
    long quietNanos = debounce.toNanos();
    try {
      while (!closed) {
        consume(watchService.take());
        WatchKey next;
        while ((next = watchService.poll(quietNanos, TimeUnit.NANOSECONDS)) != null) {
          consume(next);
        }
        reloader.execute(this::checkLogged);
      }
    } catch (ClosedWatchServiceException | InterruptedException | RejectedExecutionException e) {
      // closed
    }
  }

  private void consume(WatchKey key) {
    key.pollEvents();
    if (!key.reset()) {
      watched.values().removeIf(w -> w.key() == key);
    }
  }

  private void checkLogged() {
    try {
      check();
    } catch (RuntimeException e) {
      log.warn("config check failed", e);
    }
  }

  private boolean check() {
    if (closed) {
      return false;
    }
    byte[] now = fingerprint();
    if (Arrays.equals(now, lastFingerprint)) {
      return false;
    }
    lastFingerprint = now;
    log.debug("config files changed: {}", roots);
    try {
      onChange.run();
    } catch (RuntimeException e) {
      log.warn("config reload callback failed", e);
    }
    return true;
  }

  /** Fingerprint of all watched files; registers directories (before reading what is in them). */
  private byte[] fingerprint() {
    TreeMap<String, Path> files = new TreeMap<>();
    for (Path root : roots) {
      Path parent = root.getParent();
      if (parent != null) {
        watch(parent);
      }
      if (Files.isDirectory(root)) {
        collect(root, files);
      } else {
        files.put(root.toString(), root);
      }
    }
    MessageDigest sha = sha256();
    for (Map.Entry<String, Path> e : files.entrySet()) {
      sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      try {
        sha.update((byte) 1);
        sha.update(Files.readAllBytes(e.getValue()));
      } catch (IOException ex) {
        sha.update((byte) 2);
        sha.update(ex.getClass().getName().getBytes(StandardCharsets.UTF_8));
      }
      sha.update((byte) 0);
    }
    return sha.digest();
  }

  private void collect(Path root, TreeMap<String, Path> files) {
    try {
      for (Path file : ConfigFiles.walk(root, this::watch)) {
        files.put(file.toString(), file);
      }
    } catch (IOException e) {
      files.put(root.toString(), root); // unreadable now: the next event or poll looks again
    }
  }

  private void watch(Path dir) {
    if (closed) {
      return;
    }
    @Nullable Object fileKey;
    try {
      fileKey = Files.readAttributes(dir, BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return; // not there (yet); its parent's events will tell
    }
    WatchedDirectory current = watched.get(dir);
    if (current != null && current.key().isValid() && sameFile(current.fileKey(), fileKey)) {
      return;
    }
    try {
      WatchKey key = dir.register(watchService, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
      if (current != null && current.key() != key) {
        current.key().cancel(); // the old directory was moved away; stop following it
      }
      watched.put(dir, new WatchedDirectory(key, fileKey));
    } catch (ClosedWatchServiceException e) {
      // closing
    } catch (IOException e) {
      log.warn("cannot watch {}: {}; changes there are seen only by polling", dir, e.toString());
    }
  }

  private static boolean sameFile(@Nullable Object a, @Nullable Object b) {
    return a == null ? b == null : a.equals(b);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  private record WatchedDirectory(WatchKey key, @Nullable Object fileKey) {}

  /** Options of a {@link ConfigWatcher}. */
  public static final class Builder {
    private final List<Path> paths;
    private final Runnable onChange;
    private Duration debounce = Duration.ofMillis(250);
    private Duration pollInterval = Duration.ZERO;

    private Builder(List<Path> paths, Runnable onChange) {
      this.paths = List.copyOf(requireNonNull(paths, "paths"));
      this.onChange = requireNonNull(onChange, "onChange");
      if (this.paths.isEmpty()) {
        throw new IllegalArgumentException("paths: [] (expected: at least one file or directory)");
      }
    }

    /** How long file events must stop before a look. Default 250 ms. */
    public Builder debounce(Duration debounce) {
      requireNonNull(debounce, "debounce");
      if (debounce.isNegative()) {
        throw new IllegalArgumentException("debounce: " + debounce + " (expected: >= 0)");
      }
      this.debounce = debounce;
      return this;
    }

    /**
     * Also look every {@code interval} regardless of events, for file systems without change
     * notification (NFS, some container mounts). Default zero: off.
     */
    public Builder pollInterval(Duration interval) {
      requireNonNull(interval, "interval");
      if (interval.isNegative()) {
        throw new IllegalArgumentException("pollInterval: " + interval + " (expected: >= 0)");
      }
      this.pollInterval = interval;
      return this;
    }

    /** Takes the baseline fingerprint and starts watching. */
    public ConfigWatcher start() throws IOException {
      return new ConfigWatcher(this);
    }
  }
}
