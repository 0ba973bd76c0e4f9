package dev.offpath.adapters.rbac;

import static dev.offpath.adapters.rbac.RbacTestData.fields;
import static dev.offpath.adapters.rbac.RbacTestData.instance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.adapters.testing.TestEnvironment;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.AttributeCheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.rbac.RbacPolicy;
import dev.offpath.core.rbac.RbacScope;
import dev.offpath.core.rbac.Spelling;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

class RbacFactoryTest {

  private final RbacFactory factory = new RbacFactory();
  private final TestEnvironment env = new TestEnvironment();

  @AfterEach
  void tearDown() {
    env.close();
  }

  @Test
  void isInstalledForTheAuthorizationTemplate() {
    assertThat(AdapterRegistry.installed().find("rbac")).isInstanceOf(RbacFactory.class);
    assertThat(factory.templates()).containsExactly("authorization");
  }

  @Test
  void paramsAsIstioWroteThem() throws AdapterConfigException {
    RbacHandlerConfig defaults = factory.parse(Params.of(Map.of()));
    assertThat(defaults.cacheDuration()).isEqualTo(Duration.ofSeconds(60));
    assertThat(factory.warnings(defaults)).isEmpty();

    RbacHandlerConfig sample =
        factory.parse(Params.of(Map.of("config_store_url", "k8s://", "cache_duration", "0s")));
    assertThat(sample.cacheDuration()).isZero();
    assertThat(factory.warnings(sample))
        .containsExactly(
            "config_store_url 'k8s://' is not used: ServiceRole and ServiceRoleBinding objects are"
                + " read from Offpath's config files");
    assertThat(factory.parse(Params.of(Map.of("cacheDuration", "5s"))).cacheDuration())
        .isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void badParamsAreErrors() {
    assertThatThrownBy(() -> factory.parse(Params.of(Map.of("cache_duration", "soon"))))
        .isInstanceOf(AdapterConfigException.class)
        .hasMessage("cacheDuration: soon (expected: a duration such as 10ms, 1.5s or 1m)");
    assertThatThrownBy(() -> factory.parse(Params.of(Map.of("cache_duration", "-1s"))))
        .hasMessage("cacheDuration: -1s (expected: >= 0)");
    assertThatThrownBy(() -> factory.parse(Params.of(Map.of("configStore", "k8s://"))))
        .isInstanceOf(AdapterConfigException.class)
        .hasMessageContaining("configStore");
  }

  @Test
  void answersAsMixersAdapterDid() throws AdapterConfigException {
    List<Map<String, Object>> roles =
        new Yaml()
            .load(
                "- {name: r, rules: [{services: [a], methods: [GET]}],"
                    + " bindings: [{name: b, subjects: [{user: alice}]}]}");
    RbacHandlerConfig config =
        factory.withPolicy(
            factory.parse(Params.of(Map.of("cache_duration", "30s"))),
            new RbacPolicy(RbacTestData.roles(roles, "default", Spelling.MIXER), RbacScope.ALWAYS));
    var handler = (AttributeCheckHandler) factory.create(config, env);
    var request =
        fields("action.namespace", "default", "action.service", "a", "action.method", "GET",
            "action.path", "/", "subject.user", "alice");
    CheckResult ok = handler.check(instance(request), Attributes.empty());
    assertThat(ok.status().isOk()).isTrue();
    assertThat(ok.validDuration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(ok.validUseCount()).isEqualTo(1_000_000_000);

    request.put("subject.user", "bob");
    CheckResult denied = handler.check(instance(request));
    assertThat(denied.status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(denied.status().message()).isEqualTo("RBAC: permission denied.");
    assertThat(denied.validDuration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(denied.validUseCount()).isEqualTo(1_000_000_000);
  }

  @Test
  void configsWithTheSameRolesAreEqualSoAReloadKeepsTheHandler() throws AdapterConfigException {
    RbacHandlerConfig a = factory.withPolicy(factory.parse(Params.of(Map.of())), RbacPolicy.EMPTY);
    RbacHandlerConfig b = factory.withPolicy(factory.parse(Params.of(Map.of())), RbacPolicy.EMPTY);
    assertThat(a).isEqualTo(b);
    List<Map<String, Object>> roles = new Yaml().load("- {name: r, rules: [], bindings: []}");
    RbacHandlerConfig c =
        factory.withPolicy(
            a, new RbacPolicy(RbacTestData.roles(roles, "default", Spelling.MIXER), RbacScope.ALWAYS));
    assertThat(c).isNotEqualTo(a);
  }
}
