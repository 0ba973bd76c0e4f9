package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hot reload: a good config replaces the live one, a bad one is counted and changes nothing. */
class ConfigReloadTest {

  static final String DENY_ADMIN =
      """
      apiVersion: config.istio.io/v1alpha2
      kind: denier
      metadata: {name: deny, namespace: istio-system}
      spec:
        status: {code: 7, message: "%s"}
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: checknothing
      metadata: {name: nothing, namespace: istio-system}
      spec: {}
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: rule
      metadata: {name: deny, namespace: istio-system}
      spec:
        match: request.path == "%s"
        actions:
        - handler: deny.denier
          instances: [nothing.checknothing]
      """;

  @TempDir Path dir;
  private ServerHarness harness;

  @AfterEach
  void stop() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  private int code(String path) {
    return harness.check("request.path", path).getStatus().getCode();
  }

  @Test
  void goodConfigIsAppliedAndBadConfigKeepsTheLastGoodOne() throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, DENY_ADMIN.formatted("no admin", "/admin"));
    harness = ServerHarness.start(ServerHarness.options(List.of(dir), false));
    assertThat(code("/admin")).isEqualTo(7);
    assertThat(code("/debug")).isZero();

    Files.writeString(file, DENY_ADMIN.formatted("no debug", "/debug"));
    assertThat(harness.server.reload()).isTrue();
    assertThat(harness.server.store().current().version()).isEqualTo(2);
    assertThat(code("/admin")).isZero();
    CheckResponse debug = harness.check("request.path", "/debug");
    assertThat(debug.getStatus().getMessage()).isEqualTo("deny.denier.istio-system:no debug");

    Files.writeString(file, DENY_ADMIN.formatted("x", "/admin").replace("request.path ==", "request.nope =="));
    assertThat(harness.server.reload()).isFalse();
    assertThat(harness.server.store().current().version()).isEqualTo(2);
    assertThat(code("/debug")).isEqualTo(7);
    assertThat(code("/admin")).isZero();

    String metrics = harness.metrics();
    assertThat(metrics)
        .contains("offpath_config_reload_total{result=\"failure\"} 1.0")
        .contains("offpath_config_reload_total{result=\"success\"} 2.0")
        .contains("mixer_config_rule_config_error_count_total 1.0")
        .contains("offpath_config_version 2.0");
  }

  @Test
  void fileChangeIsPickedUpByTheWatcher() throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, DENY_ADMIN.formatted("no admin", "/admin"));
    harness = ServerHarness.start(List.of(dir));
    assertThat(code("/admin")).isEqualTo(7);

    Files.writeString(file, DENY_ADMIN.formatted("no debug", "/debug"));
    // The watcher reloads on its own thread after a debounce: poll the version, bounded.
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (harness.server.store().current().version() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(harness.server.store().current().version()).isEqualTo(2);
    assertThat(code("/debug")).isEqualTo(7);
    assertThat(code("/admin")).isZero();
  }

  @Test
  void invalidConfigAtStartIsRefusedWithEveryError() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, DENY_ADMIN.formatted("x", "/a").replace("deny.denier", "missing.denier"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ServerHarness.start(List.of(file)))
        .isInstanceOf(dev.offpath.core.config.ConfigException.class)
        .hasMessageContaining(file + ":")
        .hasMessageContaining("missing.denier");
  }
}
