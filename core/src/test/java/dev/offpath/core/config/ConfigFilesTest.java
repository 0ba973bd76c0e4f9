package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFilesTest {

  @TempDir Path dir;

  private static final String DENIER =
      """
      apiVersion: config.istio.io/v1alpha2
      kind: denier
      metadata: {name: deny, namespace: istio-system}
      spec:
        status: {code: 7, message: nope}
      """;

  /** A ConfigMap volume as the kubelet writes it: real files behind {@code ..data}. */
  static Path configMap(Path root, String timestamp, String name, String content) throws Exception {
    Path real = Files.createDirectories(root.resolve(timestamp));
    Files.writeString(real.resolve(name), content, StandardCharsets.UTF_8);
    Path data = root.resolve("..data");
    Path tmp = root.resolve("..data_tmp");
    Files.deleteIfExists(tmp);
    Files.createSymbolicLink(tmp, Path.of(timestamp));
    Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Path visible = root.resolve(name);
    if (!Files.isSymbolicLink(visible)) {
      Files.createSymbolicLink(visible, Path.of("..data", name));
    }
    return visible;
  }

  @Test
  void configMapLayoutIsReadOnceThroughItsVisibleNames() throws Exception {
    Path visible = configMap(dir, "..2026_12_05_08_00_00.123456789", "policy.yaml", DENIER);

    assertThat(ConfigFiles.list(List.of(dir))).containsExactly(visible);
    PolicyConfig config = new ConfigLoader(TestAdapters.registry()).load(List.of(dir));
    assertThat(config.handlers()).containsOnlyKeys("deny.denier.istio-system");
    assertThat(config.handlers().get("deny.denier.istio-system").source())
        .isEqualTo(new Source(visible.toString(), 1));

    // An atomic swap of ..data to a new timestamped directory: the same visible name, new content.
    configMap(dir, "..2026_12_05_09_00_00.987654321", "policy.yaml", DENIER.replace("deny,", "deny2,"));
    assertThat(ConfigFiles.list(List.of(dir))).containsExactly(visible);
    assertThat(new ConfigLoader(TestAdapters.registry()).load(List.of(dir)).handlers())
        .containsOnlyKeys("deny2.denier.istio-system");
  }

  @Test
  void rule() throws Exception {
    Files.createDirectories(dir.resolve("sub/.hidden"));
    Files.createDirectories(dir.resolve(".git"));
    Path a = Files.writeString(dir.resolve("b.YAML"), "");
    Path b = Files.writeString(dir.resolve("sub/a.yml"), "");
    Files.writeString(dir.resolve("sub/.hidden/c.yaml"), "");
    Files.writeString(dir.resolve(".git/d.yaml"), "");
    Files.writeString(dir.resolve(".e.yaml"), "");
    Files.writeString(dir.resolve("f.yaml.swp"), "");
    Files.writeString(dir.resolve("README"), "");
    Path target = Files.createDirectories(dir.resolve("..elsewhere"));
    Files.writeString(target.resolve("g.yaml"), "");
    Path linked = Files.createSymbolicLink(dir.resolve("linked"), target);
    Files.createSymbolicLink(dir.resolve("sub/loop"), dir.resolve("sub"));
    Path given = Files.writeString(dir.resolve("named-anything.conf"), "");

    List<Path> expected = new ArrayList<>(List.of(a, linked.resolve("g.yaml"), b));
    assertThat(ConfigFiles.list(List.of(dir))).containsExactlyElementsOf(expected);
    assertThat(ConfigFiles.list(List.of(given, dir.resolve("sub"))))
        .containsExactly(given, b);
    List<Path> walked = new ArrayList<>();
    ConfigFiles.walk(dir, walked::add);
    assertThat(walked).contains(dir, dir.resolve("sub"), linked).doesNotContain(target);
  }

  @Test
  void isYaml() {
    assertThat(ConfigFiles.isYaml(Path.of("a.yaml"))).isTrue();
    assertThat(ConfigFiles.isYaml(Path.of("x", "a.YML"))).isTrue();
    assertThat(ConfigFiles.isYaml(Path.of("a.yaml.swp"))).isFalse();
    assertThat(ConfigFiles.isYaml(Path.of("yaml"))).isFalse();
  }
}
