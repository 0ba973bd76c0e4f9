package dev.offpath.server.watch;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigWatcherTest {

  /** Long enough that no event-driven look happens during a test that uses {@code pollNow()}. */
  private static final Duration NEVER = Duration.ofHours(1);

  @TempDir Path tmp;
  private Path dir;
  private final Semaphore reloads = new Semaphore(0);
  private final List<String> threads = new CopyOnWriteArrayList<>();
  private ConfigWatcher watcher;

  @BeforeEach
  void setUp() throws IOException {
    dir = Files.createDirectory(tmp.resolve("conf"));
    Files.writeString(dir.resolve("a.yaml"), "kind: rule\n");
  }

  @AfterEach
  void tearDown() {
    if (watcher != null) {
      watcher.close();
    }
  }

  private ConfigWatcher start(List<Path> paths, Duration debounce) throws IOException {
    watcher =
        ConfigWatcher.builder(
                paths,
                () -> {
                  threads.add(Thread.currentThread().getName());
                  reloads.release();
                })
            .debounce(debounce)
            .start();
    return watcher;
  }

  private void awaitReload() throws InterruptedException {
    assertThat(reloads.tryAcquire(10, TimeUnit.SECONDS)).as("reload callback").isTrue();
  }

  @Test
  void changeInWatchedDirectoryReloadsOnTheReloadThread() throws Exception {
    start(List.of(dir), Duration.ofMillis(20));
    Files.writeString(dir.resolve("a.yaml"), "kind: handler\n");
    awaitReload();
    assertThat(threads).allMatch(ConfigWatcher.RELOAD_THREAD::equals);
  }

  @Test
  void editorStyleReplaceOfAWatchedFile() throws Exception {
    Path file = dir.resolve("a.yaml");
    start(List.of(file), Duration.ofMillis(20));
    Path swap = dir.resolve("a.yaml.swp");
    Files.writeString(swap, "kind: instance\n");
    Files.move(swap, file, ATOMIC_MOVE, REPLACE_EXISTING);
    awaitReload();
    assertThat(watcher.pollNow()).isFalse();
  }

  @Test
  void newFileInNewSubdirectory() throws Exception {
    start(List.of(dir), Duration.ofMillis(20));
    Path sub = Files.createDirectory(dir.resolve("sub"));
    Files.writeString(sub.resolve("b.yml"), "kind: handler\n");
    awaitReload();
    // Settle the burst above, then a change inside the new directory is seen on its own.
    watcher.pollNow();
    reloads.drainPermits();
    Files.writeString(sub.resolve("b.yml"), "kind: rule\n");
    awaitReload();
  }

  @Test
  void deletedFile() throws Exception {
    Files.writeString(dir.resolve("b.yaml"), "kind: rule\n");
    start(List.of(dir), Duration.ofMillis(20));
    Files.delete(dir.resolve("b.yaml"));
    awaitReload();
  }

  @ParameterizedTest(name = "watching the mount directory too: {0}")
  @ValueSource(booleans = {false, true})
  void kubernetesConfigMapSymlinkSwap(boolean watchMount) throws Exception {
    Path mount = Files.createDirectory(tmp.resolve("mount"));
    Path v1 = Files.createDirectory(mount.resolve("..2026_01_01_v1"));
    Files.writeString(v1.resolve("policy.yaml"), "kind: rule\n");
    Files.createSymbolicLink(mount.resolve("..data"), v1.getFileName());
    Files.createSymbolicLink(mount.resolve("policy.yaml"), Path.of("..data", "policy.yaml"));
    Path file = mount.resolve("policy.yaml");
    start(watchMount ? List.of(mount) : List.of(file), Duration.ofMillis(20));

    Path v2 = Files.createDirectory(mount.resolve("..2026_01_01_v2"));
    Files.writeString(v2.resolve("policy.yaml"), "kind: handler\n");
    Path tmpLink = Files.createSymbolicLink(mount.resolve("..data_tmp"), v2.getFileName());
    Files.move(tmpLink, mount.resolve("..data"), ATOMIC_MOVE, REPLACE_EXISTING);
    awaitReload();
    assertThat(Files.readString(mount.resolve("policy.yaml"))).isEqualTo("kind: handler\n");
  }

  @Test
  void touchWithoutChangeIsNoReload() throws Exception {
    start(List.of(dir), NEVER);
    Path file = dir.resolve("a.yaml");
    Files.writeString(file, "kind: rule\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2030-01-01T00:00:00Z")));
    assertThat(watcher.pollNow()).isFalse();
    assertThat(reloads.availablePermits()).isZero();

    Files.writeString(file, "kind: handler\n");
    assertThat(watcher.pollNow()).isTrue();
    assertThat(reloads.availablePermits()).isEqualTo(1);
    assertThat(watcher.pollNow()).isFalse();
    assertThat(reloads.availablePermits()).isEqualTo(1);
  }

  @Test
  void onlyYamlFilesAndNoHiddenOnesCountInDirectories() throws Exception {
    start(List.of(dir), NEVER);
    Files.writeString(dir.resolve("notes.txt"), "hello\n");
    Files.writeString(dir.resolve(".a.yaml.swp"), "partial\n");
    Files.createDirectory(dir.resolve(".git"));
    Files.writeString(dir.resolve(".git").resolve("x.yaml"), "kind: rule\n");
    assertThat(watcher.pollNow()).isFalse();

    Files.writeString(dir.resolve("c.YML"), "kind: rule\n");
    assertThat(watcher.pollNow()).isTrue();
  }

  @Test
  void explicitFileOfAnyNameAndMissingFileComingLater() throws Exception {
    Path conf = dir.resolve("policy.conf");
    start(List.of(conf), NEVER);
    assertThat(watcher.pollNow()).isFalse();
    Files.writeString(conf, "kind: rule\n");
    assertThat(watcher.pollNow()).isTrue();
    Files.delete(conf);
    assertThat(watcher.pollNow()).isTrue();
  }

  @Test
  void failingCallbackDoesNotStopWatching() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    watcher =
        ConfigWatcher.builder(
                List.of(dir),
                () -> {
                  calls.incrementAndGet();
                  throw new IllegalStateException("bad config");
                })
            .debounce(NEVER)
            .start();
    Files.writeString(dir.resolve("a.yaml"), "kind: handler\n");
    assertThat(watcher.pollNow()).isTrue();
    Files.writeString(dir.resolve("a.yaml"), "kind: instance\n");
    assertThat(watcher.pollNow()).isTrue();
    assertThat(calls).hasValue(2);
  }

  @Test
  void closedWatcherRefusesToPoll() throws Exception {
    start(List.of(dir), NEVER).close();
    assertThatThrownBy(() -> watcher.pollNow())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("config watcher is closed");
  }

  @Test
  void builderRejectsBadOptions() {
    assertThatThrownBy(() -> ConfigWatcher.builder(List.of(), () -> {}))
        .hasMessage("paths: [] (expected: at least one file or directory)");
    assertThatThrownBy(
            () -> ConfigWatcher.builder(List.of(dir), () -> {}).debounce(Duration.ofMillis(-1)))
        .hasMessage("debounce: PT-0.001S (expected: >= 0)");
  }
}
