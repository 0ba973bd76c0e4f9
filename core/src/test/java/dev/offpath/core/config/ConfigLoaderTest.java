package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.HeaderOperation.Operation;
import dev.offpath.core.config.TestAdapters.DenierConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  private final ConfigLoader loader = new ConfigLoader(TestAdapters.registry());

  private PolicyConfig load(String yaml) throws ConfigException {
    return loader.loadTexts(List.of(new ConfigText("test.yaml", yaml)));
  }

  private List<String> errors(String yaml) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(yaml));
    assertThat(e).as("load must fail").isNotNull();
    return e.errors().stream().map(ConfigError::toString).toList();
  }

  private static List<String> warnings(PolicyConfig config) {
    return config.warnings().stream().map(ConfigWarning::toString).toList();
  }

  private static final String DENIER =
      """
      apiVersion: config.istio.io/v1alpha2
      kind: handler
      metadata:
        name: deny
        namespace: ns
      spec:
        compiledAdapter: denier
        params:
          status:
            code: 16
            message: who are you
          validDuration: 10s
          validUseCount: 3
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: instance
      metadata:
        name: nothing
        namespace: ns
      spec:
        compiledTemplate: checknothing
      ---
      """;

  @Test
  void genericHandlerInstanceAndRule() throws Exception {
    PolicyConfig config =
        load(
            DENIER
                + """
                apiVersion: config.istio.io/v1alpha2
                kind: rule
                metadata:
                  name: deny
                  namespace: ns
                spec:
                  match: request.path == "/admin"
                  actions:
                  - handler: deny
                    instances: [nothing]
                    name: first
                """);

    HandlerConfig handler = config.handlers().get("deny.handler.ns");
    assertThat(handler.adapter().name()).isEqualTo("denier");
    assertThat(handler.adapterConfig())
        .isEqualTo(new DenierConfig(16, "who are you", Duration.ofSeconds(10), 3));
    assertThat(handler.source()).isEqualTo(new Source("test.yaml", 1));
    InstanceConfig instance = config.instances().get("nothing.instance.ns");
    assertThat(instance.template()).isEqualTo("checknothing");
    assertThat(instance.fields()).isEmpty();

    assertThat(config.rules()).hasSize(1);
    RuleConfig rule = config.rules().get(0);
    assertThat(rule.name()).isEqualTo("deny.rule.ns");
    assertThat(rule.source()).isEqualTo(new Source("test.yaml", 23));
    assertThat(rule.match().type()).isEqualTo(ValueType.BOOL);
    assertThat(rule.match().text()).isEqualTo("request.path == \"/admin\"");
    assertThat(rule.actions()).containsExactly(new Action(handler, List.of(instance), "first"));
    assertThat(config.warnings()).isEmpty();
  }

  @Test
  void ruleWithoutMatchAlwaysMatchesAndHeaderOperationsCompile() throws Exception {
    PolicyConfig config =
        load(
            DENIER
                + """
                apiVersion: policy.istio.io/v1beta1
                kind: rule
                metadata:
                  name: tag
                  namespace: ns
                spec:
                  match: ""
                  requestHeaderOperations:
                  - name: x-path
                    values: [request.path, '"fixed"']
                  - name: x-drop
                    operation: REMOVE
                  responseHeaderOperations:
                  - name: x-served-by
                    values: ['"offpath"']
                    operation: append
                """);

    RuleConfig rule = config.rules().get(0);
    assertThat(rule.match()).isNull();
    assertThat(rule.actions()).isEmpty();
    assertThat(rule.requestHeaderOperations())
        .extracting(HeaderOperation::name, HeaderOperation::operation)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("x-path", Operation.REPLACE),
            org.assertj.core.groups.Tuple.tuple("x-drop", Operation.REMOVE));
    assertThat(rule.requestHeaderOperations().get(0).values())
        .extracting(x -> x.text())
        .containsExactly("request.path", "\"fixed\"");
    assertThat(rule.responseHeaderOperations().get(0).operation()).isEqualTo(Operation.APPEND);
  }

  @Test
  void instanceFieldsAreCompiledByDottedPathIncludingNonStringScalars() throws Exception {
    PolicyConfig config =
        load(
            """
            apiVersion: config.istio.io/v1alpha2
            kind: metric
            metadata:
              name: requestcount
            spec:
              value: 1
              dimensions:
                path: request.path | "/"
                ok: true
              monitored_resource_type: '"UNSPECIFIED"'
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: authorization
            metadata:
              name: authz
            spec:
              subject:
                user: request.path
                properties:
                  ip: source.ip
              action:
                path: request.path
            """);

    InstanceConfig metric = config.instances().get("requestcount.metric.istio-system");
    assertThat(metric.template()).isEqualTo("metric");
    assertThat(metric.fields()).containsOnlyKeys("value", "dimensions.path", "dimensions.ok");
    assertThat(metric.fields().get("value").type()).isEqualTo(ValueType.INT64);
    assertThat(metric.fields().get("dimensions.ok").type()).isEqualTo(ValueType.BOOL);
    InstanceConfig authz = config.instances().get("authz.authorization.istio-system");
    assertThat(authz.fields())
        .containsOnlyKeys("subject.user", "subject.properties.ip", "action.path");
    assertThat(authz.fields().get("subject.properties.ip").type()).isEqualTo(ValueType.IP_ADDRESS);
  }

  @Test
  void attributeManifestsExtendTheVocabulary() throws Exception {
    PolicyConfig config =
        load(
            """
            apiVersion: config.istio.io/v1alpha2
            kind: attributemanifest
            metadata:
              name: extra
            spec:
              attributes:
                request.size:
                  valueType: INT64
                  description: bytes
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: listentry
            metadata:
              name: size
            spec:
              value: request.size
            """);

    assertThat(config.manifest().typeOf("request.size")).isEqualTo(ValueType.INT64);
    assertThat(config.manifest().typeOf("request.path")).isEqualTo(ValueType.STRING);
    assertThat(config.instances().get("size.listentry.istio-system").fields().get("value").type())
        .isEqualTo(ValueType.INT64);
  }

  @Test
  void kindQualifiedAndNamespaceQualifiedReferencesFindTheSameObject() throws Exception {
    PolicyConfig config =
        load(
            """
            apiVersion: config.istio.io/v1alpha2
            kind: denier
            metadata: {name: deny, namespace: istio-system}
            spec: {}
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: checknothing
            metadata: {name: nothing, namespace: istio-system}
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: rule
            metadata: {name: a, namespace: istio-system}
            spec:
              actions:
              - {handler: deny.denier, instances: [nothing.checknothing]}
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: rule
            metadata: {name: b, namespace: default}
            spec:
              actions:
              - {handler: deny.istio-system, instances: [nothing.checknothing.istio-system]}
            """);

    assertThat(config.rules())
        .extracting(RuleConfig::name)
        .containsExactly("a.rule.istio-system", "b.rule.default");
    HandlerConfig deny = config.handlers().get("deny.denier.istio-system");
    InstanceConfig nothing = config.instances().get("nothing.checknothing.istio-system");
    for (RuleConfig rule : config.rules()) {
      assertThat(rule.actions()).containsExactly(new Action(deny, List.of(nothing), null));
    }
  }

  @Test
  void genericObjectsAreReferencedByNameKindWordOrFullyQualifiedName() throws Exception {
    PolicyConfig config =
        load(
            DENIER
                + """
                apiVersion: config.istio.io/v1alpha2
                kind: rule
                metadata: {name: a, namespace: ns}
                spec:
                  actions:
                  - {handler: deny.handler, instances: [nothing.instance]}
                ---
                apiVersion: config.istio.io/v1alpha2
                kind: rule
                metadata: {name: b, namespace: other}
                spec:
                  actions:
                  - {handler: deny.handler.ns, instances: [nothing.ns]}
                """);

    HandlerConfig deny = config.handlers().get("deny.handler.ns");
    InstanceConfig nothing = config.instances().get("nothing.instance.ns");
    assertThat(config.rules())
        .extracting(RuleConfig::name)
        .containsExactly("a.rule.ns", "b.rule.other");
    for (RuleConfig rule : config.rules()) {
      assertThat(rule.actions()).containsExactly(new Action(deny, List.of(nothing), null));
    }
  }

  @Test
  void unsupportedHandlersAndTemplatesAreSkippedWithWarnings() throws Exception {
    PolicyConfig config =
        load(
            DENIER
                + """
                apiVersion: config.istio.io/v1alpha2
                kind: handler
                metadata: {name: env, namespace: ns}
                spec:
                  compiledAdapter: kubernetesenv
                ---
                apiVersion: config.istio.io/v1alpha2
                kind: apikey
                metadata: {name: key, namespace: ns}
                spec:
                  api_key: request.headers["x-key"]
                ---
                apiVersion: config.istio.io/v1alpha2
                kind: rule
                metadata: {name: mixed, namespace: ns}
                spec:
                  sampling:
                    random: {percentSampled: 10}
                  actions:
                  - handler: env
                    instances: [nothing]
                  - handler: deny
                    instances: [nothing, key.apikey]
                """);

    assertThat(config.handlers()).containsOnlyKeys("deny.handler.ns");
    assertThat(config.instances()).containsOnlyKeys("nothing.instance.ns");
    RuleConfig rule = config.rules().get(0);
    assertThat(rule.actions()).hasSize(1);
    assertThat(rule.actions().get(0).instances())
        .extracting(InstanceConfig::name)
        .containsExactly("nothing.instance.ns");
    assertThat(warnings(config))
        .containsExactly(
            "test.yaml:23: warning: handler 'env.handler.ns': adapter 'kubernetesenv' is not"
                + " supported; handler skipped",
            "test.yaml:29: warning: instance 'key.apikey.ns': template 'apikey' is not supported;"
                + " instance skipped",
            "test.yaml:39: warning: rule 'mixed.rule.ns': sampling is not supported; every matching"
                + " request is dispatched",
            "test.yaml:42: warning: rule 'mixed.rule.ns': actions[0] on handler 'env' skipped"
                + " (adapter 'kubernetesenv' is not supported)",
            "test.yaml:45: warning: rule 'mixed.rule.ns': actions[1]: instance 'key.apikey':"
                + " template 'apikey' is not supported; instance not dispatched");
  }

  @Test
  void objectsOfOtherKindsAreSkippedWithWarnings() throws Exception {
    PolicyConfig config =
        load(
            """
            apiVersion: networking.istio.io/v1alpha3
            kind: DestinationRule
            metadata: {name: dr, namespace: ns}
            spec: {host: x}
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: QuotaSpec
            metadata: {name: qs}
            spec: {}
            ---
            # an empty document is nothing at all
            """);

    assertThat(config.handlers()).isEmpty();
    assertThat(config.rules()).isEmpty();
    assertThat(warnings(config))
        .containsExactly(
            "test.yaml:1: warning: DestinationRule 'dr.ns' (networking.istio.io/v1alpha3) is not"
                + " Mixer config; skipped",
            "test.yaml:6: warning: QuotaSpec 'qs.istio-system' (config.istio.io/v1alpha2) is not"
                + " Mixer config; skipped");
  }

  @Test
  void errorsFromManyObjectsAndFilesAreAllReportedInFileOrder() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                loader.loadTexts(
                    List.of(
                        new ConfigText(
                            "b.yaml",
                            """
                            apiVersion: config.istio.io/v1alpha2
                            kind: rule
                            metadata: {name: r}
                            spec:
                              match: request.path
                              actions:
                              - {handler: missing, instances: [nothing]}
                            """),
                        new ConfigText(
                            "a.yaml",
                            """
                            apiVersion: config.istio.io/v1alpha2
                            kind: denier
                            metadata: {name: d}
                            spec: {validUseCount: many}
                            """))));

    assertThat(e.errors())
        .extracting(ConfigError::category)
        .containsExactly(Category.RULE, Category.RULE, Category.RULE, Category.HANDLER);
    assertThat(e.errors())
        .extracting(ConfigError::toString)
        .containsExactly(
            "b.yaml:5: rule 'r.rule.istio-system': match: 'request.path' is STRING (expected:"
                + " BOOL)",
            "b.yaml:7: rule 'r.rule.istio-system': handler 'missing' not found (expected: a handler"
                + " 'missing' in namespace istio-system)",
            "b.yaml:7: rule 'r.rule.istio-system': instance 'nothing' not found (expected: an"
                + " instance 'nothing' in namespace istio-system)",
            "a.yaml:4: handler 'd.denier.istio-system': validUseCount: many (expected: an"
                + " integer)");
    assertThat(e.getMessage()).startsWith("b.yaml:5: rule 'r.rule.istio-system': match:");
  }

  @Test
  void directoriesAreReadRecursivelyInNameOrderAndPathsPrintAsGiven(@TempDir Path dir)
      throws IOException {
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("b.yaml"), "kind: denier\n");
    Files.writeString(dir.resolve("sub/a.yml"), "apiVersion: x/v1\nkind: denier\n");
    Files.writeString(
        dir.resolve("a.yaml"),
        "apiVersion: x/v1\nkind: Thing\nmetadata: {name: t}\n---\nkind: ''\n");
    Files.writeString(dir.resolve("notes.txt"), "not: [yaml");

    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> loader.load(List.of(dir)));

    assertThat(e.errors())
        .extracting(ConfigError::toString)
        .containsExactly(
            dir.resolve("a.yaml") + ":5: missing kind",
            dir.resolve("b.yaml") + ":1: denier: missing apiVersion",
            dir.resolve("sub/a.yml") + ":1: denier: missing metadata.name");
  }

  @Test
  void anUnreadableFileIsAnErrorForTheWholeFile(@TempDir Path dir) {
    Path missing = dir.resolve("missing.yaml");
    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> loader.load(List.of(missing)));
    assertThat(e.errors())
        .containsExactly(
            new ConfigError(
                new Source(missing.toString(), 0),
                Category.SYNTAX,
                "cannot read file: no such file"));
  }

  @Test
  void aRuleLeftWithoutActionsBySkipsIsDroppedWithAWarning() throws Exception {
    PolicyConfig config =
        load(
            """
            apiVersion: config.istio.io/v1alpha2
            kind: fluentd
            metadata: {name: handler}
            spec: {address: "fluentd:24224"}
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: logentry
            metadata: {name: log}
            spec:
              severity: '"Info"'
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: rule
            metadata: {name: fluent}
            spec:
              actions:
              - handler: handler.fluentd
                instances: [log.logentry]
            """);

    assertThat(config.rules()).isEmpty();
    assertThat(config.instances()).containsOnlyKeys("log.logentry.istio-system");
    assertThat(warnings(config))
        .containsExactly(
            "test.yaml:1: warning: handler 'handler.fluentd.istio-system': adapter 'fluentd' is"
                + " not supported; handler skipped",
            "test.yaml:12: warning: rule 'fluent.rule.istio-system': no action left to dispatch;"
                + " rule skipped",
            "test.yaml:17: warning: rule 'fluent.rule.istio-system': actions[0] on handler"
                + " 'handler.fluentd' skipped (adapter 'fluentd' is not supported)");
  }
}
