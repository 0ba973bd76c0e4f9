package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.FileOptions;
import com.google.protobuf.UnknownFieldSet;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.testing.MixerReference;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Out-of-process config errors, each at the {@code file:line} of the offending value, loaded as
 * {@code offpath validate} loads (ConfigLoader), on top of Istio's six templates and the list and
 * prometheus {@code kind: adapter} objects.
 */
class OutOfProcessConfigErrorTest {

  private static final List<String> BASE =
      OutOfProcessReferenceConfigTest.all(
          OutOfProcessReferenceConfigTest.TEMPLATES,
          List.of("oop/nosession.yaml", "oop/prometheus-nosession.yaml"));

  private static final String HEADER =
      """
      apiVersion: config.istio.io/v1alpha2
      kind: handler
      metadata:
        name: h
        namespace: istio-system
      spec:
        adapter: listbackend-nosession
      """;

  private static PolicyConfig load(AdapterRegistry registry, String doc) throws ConfigException {
    List<ConfigText> texts = new ArrayList<>(RemoteConfigs.texts(BASE));
    texts.add(new ConfigText("test.yaml", doc));
    return new ConfigLoader(registry).loadTexts(texts);
  }

  private static PolicyConfig load(String doc) throws ConfigException {
    return load(TestAdapters.registry(), doc);
  }

  /** The load's errors as {@code line: message}; all must be in test.yaml. */
  private static List<String> errors(AdapterRegistry registry, String doc) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(registry, doc));
    assertThat(e).as("load must fail").isNotNull();
    assertThat(e.errors()).allSatisfy(err -> assertThat(err.source().file()).isEqualTo("test.yaml"));
    return e.errors().stream().map(err -> err.source().line() + ": " + err.message()).toList();
  }

  private static List<String> errors(String doc) {
    return errors(TestAdapters.registry(), doc);
  }

  /** The 1-based line of the first line of {@code doc} containing {@code text}. */
  private static int line(String doc, String text) {
    String[] lines = doc.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].contains(text)) {
        return i + 1;
      }
    }
    throw new AssertionError("no line with " + text);
  }

  private static final String H = "handler 'h.handler.istio-system': ";

  @Test
  void unknownParamsFieldListsTheKnownOnes() {
    String doc =
        HEADER
            + """
              connection: {address: "x:1"}
              params:
                overrides: [a]
                overides: [b]
            """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "overides:")
                + ": "
                + H
                + "params.overides: unknown field (expected: provider_url, refresh_interval, ttl,"
                + " caching_interval, caching_use_count, overrides, entry_type, blacklist)");
  }

  @Test
  void wrongTypesOutOfRangeAndBadEnumsAreReportedAtTheirValue() {
    String doc =
        HEADER
            + """
              connection: {address: "x:1"}
              params:
                blacklist: maybe
            """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "blacklist:")
                + ": "
                + H
                + "params.blacklist: expected true or false, got 'maybe' (a string)");

    doc =
        HEADER
            + """
              connection: {address: "x:1"}
              params:
                cachingUseCount: 3000000000
            """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "cachingUseCount:")
                + ": "
                + H
                + "params.cachingUseCount: 3000000000 is out of range for int32 (expected:"
                + " -2147483648..2147483647)");

    doc =
        HEADER
            + """
              connection: {address: "x:1"}
              params:
                entry_type: WORDS
                refresh_interval: soon
            """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "entry_type:")
                + ": "
                + H
                + "params.entry_type: 'WORDS' (a string) is not a ListEntryType (expected one of:"
                + " STRINGS, CASE_INSENSITIVE_STRINGS, IP_ADDRESSES, REGEX)");

    doc =
        HEADER
            + """
              connection: {address: "x:1"}
              params:
                refresh_interval: soon
            """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "refresh_interval:")
                + ": "
                + H
                + "params.refresh_interval: 'soon' is not a duration (expected e.g. \"10s\","
                + " \"500ms\")");
  }

  @Test
  void nestedParamsErrorsNameTheirPathAndLine() {
    String doc =
        """
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: p, namespace: istio-system}
        spec:
          adapter: prometheus-nosession
          connection: {address: "x:1"}
          params:
            metrics:
            - name: a
              kind: COUNTER
            - name: b
              kind: DISTRIBUTION
              buckets:
                exponentialBuckets: {numFiniteBuckets: 8}
                linear_buckets: {width: 2}
        """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "linear_buckets")
                + ": handler 'p.handler.istio-system': params.metrics[1].buckets.linear_buckets:"
                + " 'exponentialBuckets' is already set (they are one of definition)");
  }

  @Test
  void connectionErrors() {
    String doc =
        HEADER
            + """
              connection: {timeout: 1s}
            """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "connection:") + ": " + H + "connection.address: missing or empty");

    doc =
        HEADER
            + """
              connection:
                address: "x:1"
                timeout: 0s
            """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "timeout:") + ": " + H + "connection.timeout: 0s (expected: > 0)");

    doc =
        HEADER
            + """
              connection:
                address: "x:1"
                timeout: soon
            """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "timeout:")
                + ": "
                + H
                + "connection.timeout: 'soon' is not a duration (expected e.g. 500ms, 2s)");

    doc =
        HEADER
            + """
              connection:
                address: "x:1"
                authentication:
                  tls: {caCertificates: /ca.pem}
                  mutual: {privateKey: /k, clientCertificate: /c, caCertificates: /ca}
            """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "authentication:")
                + ": "
                + H
                + "connection.authentication: both tls and mutual (expected: exactly one)");

    doc =
        HEADER
            + """
              connection:
                address: "x:1"
                authentication:
                  mutual: {private_key: "", clientCertificate: /c}
            """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "mutual:")
                + ": "
                + H
                + "connection.authentication.mutual.privateKey: expected a non-empty file path",
            line(doc, "mutual:")
                + ": "
                + H
                + "connection.authentication.mutual.caCertificates: missing (expected: a file"
                + " path)");

    assertThat(errors(HEADER))
        .containsExactly(
            "6: " + H + "missing connection (expected: connection.address of the adapter)");
  }

  @Test
  void failurePolicyAnnotationMustBeFailCloseOrFailOpen() {
    String doc =
        """
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata:
          name: h
          namespace: istio-system
          annotations:
            offpath.dev/failure-policy: FAIL_SOMETIMES
        spec:
          adapter: listbackend-nosession
          connection: {address: "x:1"}
        """;
    assertThat(errors(doc))
        .containsExactly(
            "1: "
                + H
                + "metadata.annotations.offpath.dev/failure-policy: 'FAIL_SOMETIMES' (expected:"
                + " FAIL_CLOSE or FAIL_OPEN)");
  }

  @Test
  void unknownAdapterAndTemplateReferences() {
    String doc =
        """
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: h, namespace: istio-system}
        spec:
          adapter: nosuchadapter
          connection: {address: "x:1"}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: i, namespace: default}
        spec:
          template: listentry
          params: {value: source.name}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: adapter
        metadata: {name: a, namespace: istio-system}
        spec:
          templates:
          - listentry
          - nosuchtemplate
        """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "nosuchadapter")
                + ": "
                + H
                + "adapter 'nosuchadapter' not found (expected: a kind: adapter object"
                + " 'nosuchadapter' in namespace istio-system)",
            line(doc, "template: listentry")
                + ": instance 'i.instance.default': template 'listentry' not found (expected: a"
                + " kind: template object 'listentry' in namespace default)",
            line(doc, "nosuchtemplate")
                + ": adapter 'a.istio-system': template 'nosuchtemplate' not found (expected: a"
                + " kind: template object 'nosuchtemplate' in namespace istio-system)");
  }

  @Test
  void templatesResolveByNameNamespaceAndFullName() throws Exception {
    PolicyConfig config =
        load(
            """
            apiVersion: config.istio.io/v1alpha2
            kind: instance
            metadata: {name: i, namespace: default}
            spec:
              template: listentry.istio-system
              params: {value: source.name}
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: instance
            metadata: {name: j, namespace: default}
            spec:
              template: listentry.template.istio-system
              params: {value: source.name}
            """);
    assertThat(config.instances().get("i.instance.default").remoteTemplate())
        .isSameAs(config.instances().get("j.instance.default").remoteTemplate())
        .isNotNull();
  }

  @Test
  void instanceFieldsAreTypeCheckedAgainstTheInstanceMsg() {
    String doc =
        """
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: authz, namespace: istio-system}
        spec:
          template: authorization
          params:
            name: '"me"'
            subject:
              user: request.size
              groups: '"g"'
              properties:
                role: request.headers
              nickname: '"x"'
        """;
    String i = "instance 'authz.instance.istio-system': ";
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "name: '\"me\"'")
                + ": "
                + i
                + "name: set by Offpath to the instance's full name; config may not set it",
            line(doc, "user:")
                + ": "
                + i
                + "subject.user: 'request.size' is INT64 (expected: STRING)",
            line(doc, "nickname")
                + ": "
                + i
                + "unknown field 'subject.nickname' (expected: user, groups, properties)");
  }

  @Test
  void stringMapNeedsStringMapValueInTheTemplatesValue() throws Exception {
    String instance =
        """
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: m, namespace: istio-system}
        spec:
          template: %s
          params:
            value: "1"
            dimensions:
              headers: request.headers
        """;
    PolicyConfig ok = load(instance.formatted("metric").substring(4));
    assertThat(ok.instances().get("m.instance.istio-system").fields().get("dimensions.headers").type())
        .hasToString("STRING_MAP");

    FileDescriptorSet set =
        FileDescriptorSet.parseFrom(
            RemoteConfigs.adapterConfig(MixerReference.file("oop/template-metric.yaml")));
    FileDescriptorSet.Builder without = FileDescriptorSet.newBuilder();
    for (FileDescriptorProto f : set.getFileList()) {
      FileDescriptorProto.Builder fb = f.toBuilder();
      for (DescriptorProto.Builder m : fb.getMessageTypeBuilderList()) {
        if (f.getPackage().equals("istio.policy.v1beta1") && m.getName().equals("Value")) {
          m.removeField(m.getFieldCount() - 1);
          assertThat(m.getFieldList())
              .noneMatch(field -> field.getName().equals("string_map_value"));
        }
      }
      without.addFile(fb);
    }
    String doc = template("oldmetric", without.build().toByteString()) + instance.formatted("oldmetric");
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "headers:")
                + ": instance 'm.instance.istio-system': dimensions.headers: 'request.headers' is"
                + " STRING_MAP, but the template's istio.policy.v1beta1.Value has no"
                + " string_map_value field to carry it");
  }

  private static String template(String name, ByteString descriptor) {
    return """
        apiVersion: config.istio.io/v1alpha2
        kind: template
        metadata: {name: %s, namespace: istio-system}
        spec:
          descriptor: "%s"
        """
        .formatted(name, Base64.getEncoder().encodeToString(descriptor.toByteArray()));
  }

  @Test
  void badDescriptorsAreErrorsAtTheirLine() {
    String doc =
        """
        apiVersion: config.istio.io/v1alpha2
        kind: template
        metadata: {name: t1, namespace: istio-system}
        spec:
          descriptor: "not base64!"
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: template
        metadata: {name: t2, namespace: istio-system}
        spec:
          descriptor: "AQID"
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: adapter
        metadata: {name: a, namespace: istio-system}
        spec:
          templates: [listentry]
          config: "AQID"
        """;
    List<String> errors = errors(doc);
    assertThat(errors).hasSize(3);
    assertThat(errors.get(0))
        .startsWith("5: template 't1.istio-system': descriptor: not base64 (");
    assertThat(errors.get(1))
        .startsWith("11: template 't2.istio-system': descriptor: descriptor is not a FileDescriptorSet");
    assertThat(errors.get(2))
        .startsWith("18: adapter 'a.istio-system': config: descriptor is not a FileDescriptorSet");
  }

  /** Corrupted descriptors (seeded byte flips) load or fail with config errors, nothing else. */
  @Test
  void corruptedDescriptorsAreConfigErrorsNeverCrashes() throws Exception {
    byte[] good =
        RemoteConfigs.adapterConfig(MixerReference.file("oop/template-listentry.yaml"))
            .toByteArray();
    java.util.Random random = new java.util.Random(12);
    int failed = 0;
    for (int i = 0; i < 150; i++) {
      byte[] bad = good.clone();
      for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
        bad[random.nextInt(bad.length)] ^= (byte) (1 << random.nextInt(8));
      }
      String doc =
          template("t", ByteString.copyFrom(bad))
              + """
              ---
              apiVersion: config.istio.io/v1alpha2
              kind: instance
              metadata: {name: i, namespace: istio-system}
              spec:
                template: t
                params: {value: source.name}
              """;
      try {
        load(doc);
      } catch (ConfigException e) {
        failed++;
        assertThat(e.errors()).allSatisfy(err -> assertThat(err.message()).isNotBlank());
      }
    }
    assertThat(failed).as("some corruptions must be caught").isPositive();
  }

  @Test
  void anUnsupportedVarietyIsAWarningAndItsInstancesAreSkipped() throws Exception {
    FileDescriptorSet set =
        FileDescriptorSet.parseFrom(
            RemoteConfigs.adapterConfig(MixerReference.file("oop/template-listentry.yaml")));
    FileDescriptorSet.Builder generator = FileDescriptorSet.newBuilder();
    for (FileDescriptorProto f : set.getFileList()) {
      if (f.getServiceCount() == 0) {
        generator.addFile(f);
        continue;
      }
      UnknownFieldSet options =
          UnknownFieldSet.newBuilder(f.getOptions().getUnknownFields())
              .clearField(72295727)
              .addField(72295727, UnknownFieldSet.Field.newBuilder().addVarint(3).build())
              .build();
      generator.addFile(
          f.toBuilder().setOptions(FileOptions.newBuilder(f.getOptions()).setUnknownFields(options)));
    }
    String doc =
        template("gen", generator.build().toByteString())
            + """
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: instance
            metadata: {name: g, namespace: istio-system}
            spec:
              template: gen
              params: {value: source.name}
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: adapter
            metadata: {name: a, namespace: istio-system}
            spec:
              templates: [listentry, gen]
            """;
    PolicyConfig config = load(doc);
    assertThat(config.instances()).doesNotContainKey("g.instance.istio-system");
    assertThat(config.warnings())
        .filteredOn(w -> w.source().file().equals("test.yaml"))
        .extracting(w -> w.source().line() + ": " + w.message())
        .containsExactly(
            "5: template 'gen.istio-system': template variety TEMPLATE_VARIETY_ATTRIBUTE_GENERATOR"
                + " is not supported (Offpath dispatches CHECK, QUOTA and REPORT); template skipped",
            (line(doc, "name: g,") - 2)
                + ": instance 'g.instance.istio-system': template 'gen': template variety"
                + " TEMPLATE_VARIETY_ATTRIBUTE_GENERATOR is not supported; instance skipped",
            line(doc, "templates:")
                + ": adapter 'a.istio-system': templates 'gen' (template variety"
                + " TEMPLATE_VARIETY_ATTRIBUTE_GENERATOR is not supported) left out");
  }

  @Test
  void rulesRefuseRemoteAndCompiledMismatches() {
    String doc =
        """
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: remote, namespace: istio-system}
        spec:
          adapter: listbackend-nosession
          connection: {address: "x:1"}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: local, namespace: istio-system}
        spec:
          compiledAdapter: listchecker
          params: {overrides: [a]}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: remoteentry, namespace: istio-system}
        spec:
          template: listentry
          params: {value: source.name}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: localentry, namespace: istio-system}
        spec:
          compiledTemplate: listentry
          params: {value: source.name}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: count, namespace: istio-system}
        spec:
          template: metric
          params: {value: "1"}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: r, namespace: istio-system}
        spec:
          actions:
          - handler: remote
            instances:
            - remoteentry
            - localentry
            - count
          - handler: local
            instances:
            - remoteentry
        """;
    String r = "rule 'r.rule.istio-system': ";
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "- localentry")
                + ": "
                + r
                + "actions[0]: instance 'localentry.instance.istio-system' of compiled-in template"
                + " listentry cannot be dispatched to handler 'remote.handler.istio-system' of"
                + " out-of-process adapter listbackend-nosession (it serves the kind: template"
                + " objects listentry)",
            line(doc, "- count")
                + ": "
                + r
                + "actions[0]: instance 'count.instance.istio-system' of template metric is not"
                + " served by handler 'remote.handler.istio-system' (adapter listbackend-nosession"
                + " serves: listentry)",
            (line(doc, "- handler: local") + 2)
                + ": "
                + r
                + "actions[1]: instance 'remoteentry.instance.istio-system' of out-of-process"
                + " template listentry (a kind: template object) cannot be dispatched to handler"
                + " 'local.handler.istio-system' of compiled-in adapter listchecker");
  }

  @Test
  void aHandlerNamesOneOfCompiledAdapterAndAdapter() {
    String doc =
        HEADER
            + """
              compiledAdapter: listchecker
              connection: {address: "x:1"}
            """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "compiledAdapter:")
                + ": "
                + H
                + "both compiledAdapter and adapter (expected: one of them)");
  }

  @Test
  void withoutTheRemoteFactoryHandlersAreAnError() {
    String doc =
        HEADER
            + """
              connection: {address: "x:1"}
            """;
    assertThat(errors(TestAdapters.withoutRemote(), doc))
        .containsExactly(
            "1: "
                + H
                + "out-of-process adapters are not available in this build (no adapter factory"
                + " 'offpath.remote' installed)");
  }

  @Test
  void anAdapterWithoutConfigTakesNoParams() {
    String doc =
        """
        apiVersion: config.istio.io/v1alpha2
        kind: adapter
        metadata: {name: bare, namespace: istio-system}
        spec:
          templates: [checknothing]
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: h, namespace: istio-system}
        spec:
          adapter: bare
          connection: {address: "x:1"}
          params: {anything: 1}
        """;
    assertThat(errors(doc))
        .containsExactly(
            line(doc, "params:")
                + ": "
                + H
                + "params: adapter 'bare' takes no params (its kind: adapter object has no config)");
  }
}
