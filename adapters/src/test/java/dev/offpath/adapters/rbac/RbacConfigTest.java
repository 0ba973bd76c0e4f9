package dev.offpath.adapters.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.config.ConfigError;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigText;
import dev.offpath.core.config.ConfigWarning;
import dev.offpath.core.config.HandlerConfig;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.rbac.RbacKey;
import dev.offpath.core.rbac.RbacPolicy;
import dev.offpath.core.rbac.RbacScope;
import dev.offpath.core.rbac.ServiceRole;
import dev.offpath.core.rbac.Spelling;
import dev.offpath.core.testing.MixerReference;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RBAC objects through the config loader: Istio's samples as they stand, and every error. */
class RbacConfigTest {

  private final ConfigLoader loader = new ConfigLoader(AdapterRegistry.installed());

  private static RbacPolicy policy(PolicyConfig config, String handler) {
    HandlerConfig h = config.handlers().get(handler);
    assertThat(h).as(handler).isNotNull();
    return ((RbacHandlerConfig) h.adapterConfig()).policy();
  }

  @Test
  void istiosBookinfoSamplesLoadAsTheyStand() throws Exception {
    PolicyConfig config = loader.load(List.of(MixerReference.dir().resolve("samples/rbac")));
    RbacPolicy policy = policy(config, "handler.rbac.istio-system");
    assertThat(policy.roles())
        .extracting(r -> r.namespace() + "/" + r.name() + " " + r.spelling() + " " + r.bindings().size())
        .containsExactly(
            "default/details-reviews-viewer MIXER 1",
            "default/service-viewer MIXER 1",
            "default/productpage-viewer MIXER 1",
            "default/ratings-viewer MIXER 1",
            "default/service-viewer ATTRIBUTES 1");
    ServiceRole v1 = policy.roles().get(4);
    assertThat(v1.rules().get(0).constraints().get(0).key())
        .isEqualTo(RbacKey.mapEntry("destination.labels", "app"));
    assertThat(v1.bindings().get(0).subjects().get(0).properties().get(0).key())
        .isEqualTo(RbacKey.attribute("source.namespace"));
    assertThat(policy.roles().get(1).rules().get(0).constraints().get(0).key())
        .isEqualTo(RbacKey.property("app"));
    assertThat(policy.scope()).isEqualTo(RbacScope.ALWAYS);

    // groups: "" is an unset field, as in Mixer
    InstanceConfig instance = config.instances().get("requestcontext.authorization.istio-system");
    assertThat(instance.fields().keySet())
        .contains("subject.user", "subject.properties.app", "action.properties.version")
        .doesNotContain("subject.groups");
    assertThat(config.warnings())
        .extracting(ConfigWarning::toString)
        .anySatisfy(
            w ->
                assertThat(w)
                    .endsWith(
                        "istio-rbac-enable.yaml:23: warning: handler 'handler.rbac.istio-system':"
                            + " config_store_url 'k8s://' is not used: ServiceRole and"
                            + " ServiceRoleBinding objects are read from Offpath's config files"));
    assertThat(config.rules()).extracting(r -> r.name()).containsExactly("rbaccheck.rule.istio-system");
  }

  private static final String HANDLER =
      """
      apiVersion: config.istio.io/v1alpha2
      kind: rbac
      metadata: {name: handler, namespace: istio-system}
      spec: {}
      ---
      """;

  private List<String> errors(String yaml) {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () -> loader.loadTexts(List.of(new ConfigText("rbac.yaml", HANDLER + yaml))));
    assertThat(e).as("expected errors").isNotNull();
    return e.errors().stream().map(ConfigError::toString).toList();
  }

  @Test
  void unknownRoleRefIsAnErrorAtItsLine() {
    assertThat(
            errors(
                """
                apiVersion: rbac.istio.io/v1alpha1
                kind: ServiceRole
                metadata: {name: viewer, namespace: default}
                spec:
                  rules: [{services: ["*"], methods: [GET]}]
                ---
                apiVersion: rbac.istio.io/v1alpha1
                kind: ServiceRoleBinding
                metadata: {name: bind, namespace: default}
                spec:
                  subjects: [{user: alice}]
                  roleRef:
                    kind: ServiceRole
                    name: viewr
                ---
                apiVersion: config.istio.io/v1alpha2
                kind: ServiceRoleBinding
                metadata: {name: bind2, namespace: default}
                spec:
                  subjects: [{user: alice}]
                  roleRef: {kind: ServiceRole, name: viewer}
                ---
                apiVersion: rbac.istio.io/v1alpha1
                kind: ServiceRoleBinding
                metadata: {name: bind3, namespace: default}
                spec:
                  subjects: [{user: alice}]
                  roleRef: {kind: ClusterRole, name: viewer}
                """))
        .containsExactly(
            "rbac.yaml:19: ServiceRoleBinding 'bind.default': roleRef: unknown ServiceRole 'viewr'"
                + " (expected: a ServiceRole of rbac.istio.io/v1alpha1 in namespace default)",
            "rbac.yaml:26: ServiceRoleBinding 'bind2.default': roleRef: unknown ServiceRole"
                + " 'viewer' (expected: a ServiceRole of config.istio.io/v1alpha2 in namespace"
                + " default)",
            "rbac.yaml:33: ServiceRoleBinding 'bind3.default': roleRef.kind: ClusterRole"
                + " (expected: ServiceRole)");
  }

  @Test
  void badConstraintAndPropertyKeysAreErrorsAtTheirLines() {
    assertThat(
            errors(
                """
                apiVersion: rbac.istio.io/v1alpha1
                kind: ServiceRole
                metadata: {name: r1, namespace: default}
                spec:
                  rules:
                  - services: ["*"]
                    methods: [GET]
                    constraints:
                    - key: destination.lables[app]
                      values: [reviews]
                    - key: destination.labels
                      values: [reviews]
                    - key: destination.port[x]
                      values: ["80"]
                ---
                apiVersion: config.istio.io/v1alpha2
                kind: ServiceRole
                metadata: {name: r2, namespace: default}
                spec:
                  rules:
                  - services: ["*"]
                    methods: [GET]
                    constraints: [{key: "destination.labels[app]", values: [reviews]}]
                ---
                apiVersion: rbac.istio.io/v1alpha1
                kind: ServiceRoleBinding
                metadata: {name: b, namespace: default}
                spec:
                  subjects:
                  - properties: {source.namspace: default}
                  roleRef: {kind: ServiceRole, name: r1}
                """))
        .containsExactly(
            "rbac.yaml:14: ServiceRole 'r1.default': rules[0]: constraints[0]: bad constraint key"
                + " 'destination.lables[app]': no attribute 'destination.lables' in the manifest"
                + " (expected: an attribute such as source.namespace or destination.labels[app])",
            "rbac.yaml:16: ServiceRole 'r1.default': rules[0]: constraints[1]: bad constraint key"
                + " 'destination.labels': 'destination.labels' is a STRING_MAP (expected:"
                + " destination.labels[key]) (expected: an attribute such as source.namespace or"
                + " destination.labels[app])",
            "rbac.yaml:18: ServiceRole 'r1.default': rules[0]: constraints[2]: bad constraint key"
                + " 'destination.port[x]': 'destination.port' is INT64, not a STRING_MAP (expected:"
                + " an attribute such as source.namespace or destination.labels[app])",
            "rbac.yaml:28: ServiceRole 'r2.default': rules[0]: constraints[0]: bad constraint key"
                + " 'destination.labels[app]' (in config.istio.io/v1alpha2 a key names a property of"
                + " the authorization instance, such as 'app'; attribute keys need apiVersion"
                + " rbac.istio.io/v1alpha1)",
            "rbac.yaml:35: ServiceRoleBinding 'b.default': subjects[0]: properties: bad property key"
                + " 'source.namspace': no attribute 'source.namspace' in the manifest (expected: an"
                + " attribute such as source.namespace or destination.labels[app])");
  }

  @Test
  void rbacConfigScopesAndIsValidated() throws Exception {
    String yaml =
        HANDLER
            + """
            apiVersion: rbac.istio.io/v1alpha1
            kind: RbacConfig
            metadata: {name: default}
            spec:
              mode: ON_WITH_INCLUSION
              inclusion:
                namespaces: [default]
                services: [ratings.prod.svc.cluster.local]
            ---
            apiVersion: rbac.istio.io/v1alpha1
            kind: RbacConfig
            metadata: {name: other}
            spec: {mode: "OFF"}
            """;
    PolicyConfig config = loader.loadTexts(List.of(new ConfigText("scope.yaml", yaml)));
    assertThat(policy(config, "handler.rbac.istio-system").scope())
        .isEqualTo(
            new RbacScope(
                RbacScope.Mode.ON_WITH_INCLUSION,
                java.util.Set.of("default"),
                java.util.Set.of("ratings.prod.svc.cluster.local"),
                false));
    assertThat(config.warnings())
        .extracting(ConfigWarning::toString)
        .contains(
            "scope.yaml:15: warning: RbacConfig 'other.istio-system': not named 'default'; skipped (Istio"
                + " reads only the one named default)");

    String cluster =
        yaml
            + """
            ---
            apiVersion: rbac.istio.io/v1alpha1
            kind: ClusterRbacConfig
            metadata: {name: default}
            spec: {mode: "ON", enforcementMode: PERMISSIVE}
            """;
    PolicyConfig c2 = loader.loadTexts(List.of(new ConfigText("scope.yaml", cluster)));
    assertThat(policy(c2, "handler.rbac.istio-system").scope())
        .isEqualTo(new RbacScope(RbacScope.Mode.ON, java.util.Set.of(), java.util.Set.of(), true));
    assertThat(c2.warnings())
        .extracting(ConfigWarning::toString)
        .contains(
            "scope.yaml:6: warning: RbacConfig 'default.istio-system': superseded by ClusterRbacConfig"
                + " 'default.istio-system'; skipped");

    assertThat(
            errors(
                """
                apiVersion: rbac.istio.io/v1alpha1
                kind: ClusterRbacConfig
                metadata: {name: default}
                spec: {mode: SOMETIMES}
                """))
        .containsExactly(
            "rbac.yaml:9: ClusterRbacConfig 'default.istio-system': mode: SOMETIMES (expected: one"
                + " of OFF, ON, ON_WITH_INCLUSION, ON_WITH_EXCLUSION)");
  }

  @Test
  void rolesWithoutAnRbacHandlerLoadWithAWarning() throws Exception {
    PolicyConfig config =
        loader.loadTexts(
            List.of(
                new ConfigText(
                    "roles.yaml",
                    """
                    apiVersion: rbac.istio.io/v1alpha1
                    kind: ServiceRole
                    metadata: {name: viewer, namespace: default}
                    spec:
                      rules: [{services: ["*"]}]
                    """)));
    assertThat(config.warnings())
        .extracting(ConfigWarning::toString)
        .containsExactly(
            "roles.yaml:1: warning: RBAC objects are not used: no handler of the rbac adapter"
                + " (kind: rbac) in the config",
            "roles.yaml:5: warning: ServiceRole 'viewer.default': rules[0] never matches (no"
                + " methods; Mixer's rbac adapter required both)");
  }

  @Test
  void theSameRolesGiveAnEqualHandlerConfigSoAReloadKeepsTheHandler() throws Exception {
    PolicyConfig a = loader.load(List.of(MixerReference.dir().resolve("samples/rbac")));
    PolicyConfig b = loader.load(List.of(MixerReference.dir().resolve("samples/rbac")));
    assertThat(a.handlers().get("handler.rbac.istio-system").adapterConfig())
        .isEqualTo(b.handlers().get("handler.rbac.istio-system").adapterConfig());
    assertThat(policy(a, "handler.rbac.istio-system").roles().get(0).spelling())
        .isEqualTo(Spelling.MIXER);
  }
}
