package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Which files a config path stands for: the one rule shared by the loader, {@code offpath
 * validate}, the config watcher and the {@code EnvoyProxy} loader (README, "Config files").
 *
 * <ul>
 *   <li>A path given as a file is read whatever its name.
 *   <li>A directory stands for its {@code .yaml}/{@code .yml} files (case-insensitive), recursively,
 *       in path order.
 *   <li>Names starting with a dot are skipped below a given directory, files and directories alike.
 *       A Kubernetes ConfigMap volume keeps its real files in a hidden {@code ..2026_12_05_…}
 *       directory behind a hidden {@code ..data} link; its visible names are links into {@code
 *       ..data}, so each object is read once, through the visible name.
 *   <li>Visible symbolic links are followed, to files and to directories; a directory reached twice
 *       through links (a loop) is walked once.
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class ConfigFiles {

  private ConfigFiles() {}

  /**
   * The files {@code paths} stand for, in order: each given path in turn, a directory's files sorted
   * by path. A path that does not exist is returned as is, so that reading it reports it.
   *
   * @throws IOException when a directory cannot be listed
   */
  public static List<Path> list(List<Path> paths) throws IOException {
    requireNonNull(paths, "paths");
    List<Path> files = new ArrayList<>();
    for (Path path : paths) {
      requireNonNull(path, "path");
      if (Files.isDirectory(path)) {
        files.addAll(walk(path, dir -> {}));
      } else {
        files.add(path);
      }
    }
    return files;
  }

  /**
   * The config files under directory {@code root}, sorted by path; {@code directories} is told of
   * every directory walked (the root included) before its files are listed, so a watcher can
   * register it first.
   *
   * @throws IOException when {@code root} cannot be listed
   */
  public static List<Path> walk(Path root, Consumer<Path> directories) throws IOException {
    requireNonNull(root, "root");
    requireNonNull(directories, "directories");
    TreeMap<String, Path> files = new TreeMap<>();
    Files.walkFileTree(
        root,
        EnumSet.of(FileVisitOption.FOLLOW_LINKS),
        Integer.MAX_VALUE,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            if (!dir.equals(root) && hidden(dir)) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            directories.accept(dir);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (!hidden(file) && isYaml(file) && !attrs.isDirectory()) {
              files.put(file.toString(), file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (file.equals(root)) {
              throw e;
            }
            // A link loop (FileSystemLoopException), a dangling link or a file that vanished
            // while walking: a visible config name is kept so that reading it reports it.
            if (!hidden(file) && isYaml(file) && !(e instanceof FileSystemLoopException)) {
              files.put(file.toString(), file);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return List.copyOf(files.values());
  }

  /** Whether a name is a config file name: {@code .yaml} or {@code .yml}, in any case. */
  public static boolean isYaml(Path path) {
    Path name = path.getFileName();
    if (name == null) {
      return false;
    }
    String s = name.toString().toLowerCase(Locale.ROOT);
    return s.endsWith(".yaml") || s.endsWith(".yml");
  }

  private static boolean hidden(Path path) {
    Path name = path.getFileName();
    return name != null && name.toString().startsWith(".");
  }
}
