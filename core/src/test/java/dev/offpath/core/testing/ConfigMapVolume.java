package dev.offpath.core.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A Kubernetes ConfigMap volume as the kubelet lays it out, for tests of config loading. */
public final class ConfigMapVolume {

  private ConfigMapVolume() {}

  /**
   * Writes {@code name} into a new hidden {@code timestamp} directory under {@code root} and swaps
   * {@code ..data} to it atomically, as the kubelet does on every update; the visible {@code name}
   * is a link into {@code ..data}, created on the first call.
   *
   * @return the visible path
   */
  public static Path write(Path root, String timestamp, String name, String content)
      throws Exception {
    Path real = Files.createDirectories(root.resolve(timestamp));
    Files.writeString(real.resolve(name), content, StandardCharsets.UTF_8);
    Path tmp = root.resolve("..data_tmp");
    Files.deleteIfExists(tmp);
    Files.createSymbolicLink(tmp, Path.of(timestamp));
    Files.move(
        tmp, root.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Path visible = root.resolve(name);
    if (!Files.isSymbolicLink(visible)) {
      Files.createSymbolicLink(visible, Path.of("..data", name));
    }
    return visible;
  }
}
