package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.testing.ConfigMapVolume;
import java.nio.file.Files;
import java.nio.file.Path;
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

  @Test
  void configMapLayoutIsReadOnceThroughItsVisibleNames() throws Exception {
    Path visible = ConfigMapVolume.write(dir, "..2026_12_05_08_00_00.123456789", "policy.yaml", DENIER);

    assertThat(ConfigFiles.list(List.of(dir))).containsExactly(visible);
    PolicyConfig config = new ConfigLoader(TestAdapters.registry()).load(List.of(dir));
    assertThat(config.handlers()).containsOnlyKeys("deny.denier.istio-system");
    assertThat(config.handlers().get("deny.denier.istio-system").source())
        .isEqualTo(new Source(visible.toString(), 1));

    // An atomic swap of ..data to a new timestamped directory: the same visible name, new content.
    ConfigMapVolume.write(dir, "..2026_12_05_09_00_00.987654321", "policy.yaml", DENIER.replace("deny,", "deny2,"));
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
