package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.remote.RemoteAdapters;
import dev.offpath.core.remote.RemoteConnection;
import dev.offpath.core.remote.RemoteFailurePolicy;
import dev.offpath.core.remote.RemoteHandlerConfig;
import dev.offpath.core.remote.RemoteTemplate;
import dev.offpath.core.testing.MixerReference;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Istio's own out-of-process objects ({@code mixer-reference/oop/}: the six standard templates, the
 * list and prometheus adapters run out of process, the Knative activator's operator config) load
 * as they stand, with no error and no warning, into remote handlers and instances.
 */
class OutOfProcessReferenceConfigTest {

  static final List<String> TEMPLATES =
      List.of(
          "oop/template-metric.yaml",
          "oop/template-logentry.yaml",
          "oop/template-authorization.yaml",
          "oop/template-listentry.yaml",
          "oop/template-checknothing.yaml",
          "oop/template-quota.yaml");

  static final List<String> LIST =
      List.of("oop/nosession.yaml", "oop/listentryoop.yaml", "oop/listcheckoop.yaml");

  static final List<String> PROMETHEUS =
      List.of("oop/prometheus-nosession.yaml", "oop/metricsoop.yaml", "oop/prometheusoop.yaml");

  static final List<String> KNATIVE =
      List.of(
          "oop/knative-activator/kactivator.yaml",
          "oop/knative-activator/sample_operator_cfg.yaml");

  private final ConfigLoader loader = new ConfigLoader(TestAdapters.registry());

  static PolicyConfig load(ConfigLoader loader, List<String> files) throws Exception {
    return loader.load(files.stream().map(MixerReference::file).toList());
  }

  static List<String> all(List<String> a, List<String> b) {
    return Stream.of(a, b).flatMap(List::stream).toList();
  }

  static DynamicMessage params(HandlerConfig h) throws Exception {
    RemoteHandlerConfig r = (RemoteHandlerConfig) h.adapterConfig();
    assertThat(r.params()).isNotNull();
    Descriptor type = paramsType(r);
    assertThat(r.paramsTypeUrl()).isEqualTo(RemoteAdapters.typeUrl(type));
    return DynamicMessage.parseFrom(type, r.params());
  }

  /** The adapter's Params descriptor, read back from its YAML as the loader did. */
  private static Descriptor paramsType(RemoteHandlerConfig r) throws Exception {
    String file =
        switch (r.adapter()) {
          case "listbackend-nosession" -> "oop/nosession.yaml";
          case "prometheus-nosession" -> "oop/prometheus-nosession.yaml";
          case "kactivator" -> "oop/knative-activator/kactivator.yaml";
          default -> throw new AssertionError(r.adapter());
        };
    return RemoteAdapters.paramsType(RemoteConfigs.adapterConfig(MixerReference.file(file)));
  }

  private static Object get(DynamicMessage m, String field) {
    FieldDescriptor f = m.getDescriptorForType().findFieldByName(field);
    assertThat(f).as(field).isNotNull();
    return m.getField(f);
  }

  @Test
  void everyObjectLoadsTogetherWithoutErrorOrWarning() throws Exception {
    PolicyConfig config = load(loader, all(all(TEMPLATES, LIST), all(PROMETHEUS, KNATIVE)));

    assertThat(config.warnings()).isEmpty();
    assertThat(config.handlers())
        .containsOnlyKeys(
            "source-whitelist.handler.istio-system",
            "prometheus-handler.handler.istio-system",
            "h1.handler.istio-system");
    assertThat(config.instances())
        .containsOnlyKeys(
            "source-info.instance.istio-system",
            "requestcount.instance.istio-system",
            "requestsize.instance.istio-system",
            "kactivator.instance.istio-system");
    assertThat(config.instances().values()).allSatisfy(i -> assertThat(i.isRemote()).isTrue());
    assertThat(config.handlers().values())
        .allSatisfy(
            h -> {
              assertThat(h.adapter().name()).isEqualTo(RemoteHandlerConfig.FACTORY_NAME);
              assertThat(h.adapterConfig()).isInstanceOf(RemoteHandlerConfig.class);
            });
    assertThat(config.rules())
        .extracting(RuleConfig::name)
        .containsExactlyInAnyOrder(
            "listchecker-oop.rule.istio-system",
            "promhttp-oop.rule.istio-system",
            "r1.rule.istio-system");
  }

  @Test
  void listAdapterOutOfProcess() throws Exception {
    PolicyConfig config = load(loader, all(TEMPLATES, LIST));

    assertThat(config.warnings()).isEmpty();
    HandlerConfig h = config.handlers().get("source-whitelist.handler.istio-system");
    RemoteHandlerConfig r = (RemoteHandlerConfig) h.adapterConfig();
    assertThat(r.adapter()).isEqualTo("listbackend-nosession");
    assertThat(r.sessionBased()).isFalse();
    assertThat(r.templates()).extracting(RemoteTemplate::name).containsExactly("listentry");
    assertThat(r.templates().get(0).variety()).isEqualTo(Variety.CHECK);
    assertThat(r.connection())
        .isEqualTo(new RemoteConnection("listadapter:8080", RemoteConnection.DEFAULT_TIMEOUT, null));
    assertThat(r.failurePolicy()).isEqualTo(RemoteFailurePolicy.FAIL_CLOSE);
    assertThat(r.paramsTypeUrl()).isEqualTo("type.googleapis.com/adapter.list.config.Params");

    DynamicMessage params = params(h);
    assertThat(get(params, "overrides")).isEqualTo(List.of("mysource", "mysource2"));
    assertThat(get(params, "blacklist")).isEqualTo(false);
    assertThat(params.getAllFields()).hasSize(1); // blacklist: false is proto3's default
    assertThat(r.toString())
        .contains("listbackend-nosession", "[listentry]", "listadapter:8080", "FAIL_CLOSE")
        .contains("type.googleapis.com/adapter.list.config.Params (" + r.params().size() + " bytes)")
        .doesNotContain("mysource");

    InstanceConfig sourceInfo = config.instances().get("source-info.instance.istio-system");
    assertThat(sourceInfo.template()).isEqualTo("listentry");
    assertThat(sourceInfo.variety()).isEqualTo(Variety.CHECK);
    assertThat(sourceInfo.remoteTemplate()).isSameAs(r.templates().get(0));
    assertThat(sourceInfo.fields()).containsOnlyKeys("value");
    assertThat(sourceInfo.fields().get("value").type()).isEqualTo(ValueType.STRING);

    RuleConfig rule = config.rules().get(0);
    assertThat(rule.actions()).hasSize(1);
    assertThat(rule.actions().get(0).handler()).isSameAs(h);
    assertThat(rule.actions().get(0).instances()).containsExactly(sourceInfo);
  }

  @Test
  void prometheusAdapterOutOfProcessWithMixedFieldNames() throws Exception {
    PolicyConfig config = load(loader, all(TEMPLATES, PROMETHEUS));

    assertThat(config.warnings()).isEmpty();
    HandlerConfig h = config.handlers().get("prometheus-handler.handler.istio-system");
    RemoteHandlerConfig r = (RemoteHandlerConfig) h.adapterConfig();
    assertThat(r.templates()).extracting(RemoteTemplate::name).containsExactly("metric");
    assertThat(r.connection().address()).isEqualTo("prometheusadapter:8080");
    assertThat(r.paramsTypeUrl()).isEqualTo("type.googleapis.com/adapter.prometheus.config.Params");

    DynamicMessage params = params(h);
    @SuppressWarnings("unchecked")
    List<DynamicMessage> metrics = (List<DynamicMessage>) get(params, "metrics");
    assertThat(metrics).hasSize(2);
    DynamicMessage count = metrics.get(0);
    assertThat(get(count, "name")).isEqualTo("request_count");
    assertThat(get(count, "instance_name")).isEqualTo("requestcount.instance.istio-system");
    assertThat(get(count, "kind").toString()).isEqualTo("COUNTER");
    assertThat(get(count, "label_names"))
        .isEqualTo(
            List.of(
                "source_service",
                "source_version",
                "destination_service",
                "destination_version",
                "response_code"));
    DynamicMessage size = metrics.get(1);
    assertThat(get(size, "kind").toString()).isEqualTo("DISTRIBUTION");
    DynamicMessage exponential =
        (DynamicMessage) get((DynamicMessage) get(size, "buckets"), "exponential_buckets");
    assertThat(get(exponential, "num_finite_buckets")).isEqualTo(8);
    assertThat(get(exponential, "scale")).isEqualTo(1.0);
    assertThat(get(exponential, "growth_factor")).isEqualTo(10.0);

    InstanceConfig requestCount = config.instances().get("requestcount.instance.istio-system");
    assertThat(requestCount.variety()).isEqualTo(Variety.REPORT);
    assertThat(requestCount.fields())
        .containsOnlyKeys(
            "value",
            "dimensions.source_service",
            "dimensions.source_version",
            "dimensions.destination_service",
            "dimensions.destination_version",
            "dimensions.response_code");
    assertThat(requestCount.fields().get("value").type()).isEqualTo(ValueType.INT64);
    assertThat(requestCount.fields().get("dimensions.response_code").type())
        .isEqualTo(ValueType.INT64);
    assertThat(requestCount.fields().get("dimensions.source_service").type())
        .isEqualTo(ValueType.STRING);
    assertThat(
            config.instances().get("requestsize.instance.istio-system").fields().get("value").type())
        .isEqualTo(ValueType.INT64);
    assertThat(config.rules().get(0).actions().get(0).instances())
        .extracting(InstanceConfig::name)
        .containsExactly("requestcount.instance.istio-system", "requestsize.instance.istio-system");
  }

  @Test
  void knativeActivatorAuthorizationInstanceIsTyped() throws Exception {
    PolicyConfig config = load(loader, all(TEMPLATES, KNATIVE));

    assertThat(config.warnings()).isEmpty();
    HandlerConfig h = config.handlers().get("h1.handler.istio-system");
    RemoteHandlerConfig r = (RemoteHandlerConfig) h.adapterConfig();
    assertThat(r.adapter()).isEqualTo("kactivator");
    assertThat(r.templates()).extracting(RemoteTemplate::name).containsExactly("authorization");
    assertThat(r.connection().address()).isEqualTo("[::]:42059");
    assertThat(get(params(h), "autoscaler_endpoint"))
        .isEqualTo("ws://autoscaler.knative-serving.svc.local:8080");

    InstanceConfig instance = config.instances().get("kactivator.instance.istio-system");
    assertThat(instance.template()).isEqualTo("authorization");
    assertThat(instance.variety()).isEqualTo(Variety.CHECK);
    Map<String, Expression> fields = instance.fields();
    assertThat(fields)
        .containsOnlyKeys(
            "subject.user",
            "subject.groups",
            "action.namespace",
            "action.service",
            "action.path",
            "action.method");
    assertThat(fields.values()).allSatisfy(x -> assertThat(x.type()).isEqualTo(ValueType.STRING));
    assertThat(fields.get("subject.user").text())
        .isEqualTo("source.principal | request.auth.principal | \"\"");
    assertThat(config.rules().get(0).actions().get(0).instances()).containsExactly(instance);
  }
}
