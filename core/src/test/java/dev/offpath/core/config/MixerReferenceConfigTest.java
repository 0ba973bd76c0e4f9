package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.config.TestAdapters.DenierConfig;
import dev.offpath.core.config.TestAdapters.EntryType;
import dev.offpath.core.config.TestAdapters.ListConfig;
import dev.offpath.core.config.TestAdapters.MemQuotaConfig;
import dev.offpath.core.config.TestAdapters.QuotaOverride;
import dev.offpath.core.testing.MixerReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Istio's own Mixer configs and bookinfo policy samples load as they stand. kubernetesenv is not
 * supported, so its handler, the rules that only feed it and the {@code kubernetes}
 * attribute-generator instance load as warnings; the telemetry handlers (stdio, prometheus) and
 * their rules load. Samples
 * are loaded on top of their release's default config, as Istio applied them: they rely on its
 * attribute manifests ({@code source.labels}, {@code destination.labels}).
 */
class MixerReferenceConfigTest {

  private static final String ISTIO_10 = "istio-1.0-mixer-config.yaml";
  private static final String ISTIO_11 = "istio-1.1-mixer-config.yaml";

  private final ConfigLoader loader = new ConfigLoader(TestAdapters.registry());

  private PolicyConfig load(String... files) throws Exception {
    return loader.load(Stream.of(files).map(MixerReference::file).toList());
  }

  /** Warnings as {@code file:line: message} with the file name only. */
  private static List<String> warnings(PolicyConfig config) {
    return config.warnings().stream()
        .map(
            w ->
                Path.of(w.source().file()).getFileName()
                    + ":"
                    + w.source().line()
                    + ": "
                    + w.message())
        .toList();
  }

  private static final List<String> ISTIO_10_WARNINGS =
      List.of(
          ISTIO_10
              + ":628: handler 'handler.kubernetesenv.istio-system': adapter 'kubernetesenv' is not"
              + " supported; handler skipped",
          ISTIO_10
              + ":642: rule 'kubeattrgenrulerule.rule.istio-system': no action left to dispatch;"
              + " rule skipped",
          ISTIO_10
              + ":649: rule 'kubeattrgenrulerule.rule.istio-system': actions[0] on handler"
              + " 'handler.kubernetesenv' skipped (adapter 'kubernetesenv' is not supported)",
          ISTIO_10
              + ":653: rule 'tcpkubeattrgenrulerule.rule.istio-system': no action left to dispatch;"
              + " rule skipped",
          ISTIO_10
              + ":661: rule 'tcpkubeattrgenrulerule.rule.istio-system': actions[0] on handler"
              + " 'handler.kubernetesenv' skipped (adapter 'kubernetesenv' is not supported)",
          ISTIO_10
              + ":665: instance 'attributes.kubernetes.istio-system': template 'kubernetes' is not"
              + " supported; instance skipped",
          ISTIO_10
              + ":705: DestinationRule 'istio-policy.istio-system' (networking.istio.io/v1alpha3)"
              + " is not Mixer config; skipped",
          ISTIO_10
              + ":718: DestinationRule 'istio-telemetry.istio-system'"
              + " (networking.istio.io/v1alpha3) is not Mixer config; skipped");

  private static final List<String> ISTIO_11_WARNINGS =
      List.of(
          ISTIO_11
              + ":904: handler 'kubernetesenv.handler.istio-system': adapter 'kubernetesenv' is not"
              + " supported; handler skipped",
          ISTIO_11
              + ":924: rule 'kubeattrgenrulerule.rule.istio-system': no action left to dispatch;"
              + " rule skipped",
          ISTIO_11
              + ":936: rule 'kubeattrgenrulerule.rule.istio-system': actions[0] on handler"
              + " 'kubernetesenv' skipped (adapter 'kubernetesenv' is not supported)",
          ISTIO_11
              + ":940: rule 'tcpkubeattrgenrulerule.rule.istio-system': no action left to dispatch;"
              + " rule skipped",
          ISTIO_11
              + ":953: rule 'tcpkubeattrgenrulerule.rule.istio-system': actions[0] on handler"
              + " 'kubernetesenv' skipped (adapter 'kubernetesenv' is not supported)",
          ISTIO_11
              + ":957: instance 'attributes.kubernetes.istio-system': template 'kubernetes' is not"
              + " supported; instance skipped",
          ISTIO_11
              + ":1001: DestinationRule 'istio-policy.istio-system' (networking.istio.io/v1alpha3)"
              + " is not Mixer config; skipped",
          ISTIO_11
              + ":1019: DestinationRule 'istio-telemetry.istio-system'"
              + " (networking.istio.io/v1alpha3) is not Mixer config; skipped");

  @Test
  void istio10DefaultConfigLoadsItsInstancesAndWarnsAboutTheRest() throws Exception {
    PolicyConfig config = load(ISTIO_10);

    assertThat(config.handlers())
        .containsOnlyKeys("handler.stdio.istio-system", "handler.prometheus.istio-system");
    assertThat(config.rules())
        .extracting(RuleConfig::name)
        .containsExactly(
            "stdio.rule.istio-system",
            "stdiotcp.rule.istio-system",
            "promhttp.rule.istio-system",
            "promtcp.rule.istio-system");
    assertThat(config.rules().get(2).actions().get(0).instances())
        .extracting(InstanceConfig::name)
        .containsExactly(
            "requestcount.metric.istio-system",
            "requestduration.metric.istio-system",
            "requestsize.metric.istio-system",
            "responsesize.metric.istio-system");
    assertThat(config.instances())
        .containsOnlyKeys(
            "accesslog.logentry.istio-system",
            "tcpaccesslog.logentry.istio-system",
            "requestcount.metric.istio-system",
            "requestduration.metric.istio-system",
            "requestsize.metric.istio-system",
            "responsesize.metric.istio-system",
            "tcpbytesent.metric.istio-system",
            "tcpbytereceived.metric.istio-system");
    assertThat(warnings(config)).containsExactlyElementsOf(ISTIO_10_WARNINGS);

    assertThat(config.manifest().typeOf("origin.ip")).isEqualTo(ValueType.IP_ADDRESS);
    assertThat(config.manifest().typeOf("destination.labels")).isEqualTo(ValueType.STRING_MAP);

    InstanceConfig requestCount = config.instances().get("requestcount.metric.istio-system");
    assertThat(requestCount.template()).isEqualTo("metric");
    assertThat(requestCount.fields().get("value").type()).isEqualTo(ValueType.INT64);
    assertThat(requestCount.fields()).hasSize(1 + 17).containsKey("dimensions.response_code");
    assertThat(requestCount.fields()).doesNotContainKey("monitored_resource_type");
    assertThat(
            config
                .instances()
                .get("requestduration.metric.istio-system")
                .fields()
                .get("value")
                .type())
        .isEqualTo(ValueType.DURATION);

    InstanceConfig accessLog = config.instances().get("accesslog.logentry.istio-system");
    assertThat(accessLog.fields().get("timestamp").type()).isEqualTo(ValueType.TIMESTAMP);
    assertThat(accessLog.fields().get("severity").text()).isEqualTo("\"Info\"");
    assertThat(accessLog.fields()).containsKeys("variables.sourceIp", "variables.latency");
    assertThat(accessLog.source())
        .isEqualTo(new Source(MixerReference.file(ISTIO_10).toString(), 191));
  }

  @Test
  void istio11DefaultConfigLoadsItsInstancesAndWarnsAboutTheRest() throws Exception {
    PolicyConfig config = load(ISTIO_11);

    assertThat(config.handlers())
        .containsOnlyKeys("stdio.handler.istio-system", "prometheus.handler.istio-system");
    assertThat(config.rules())
        .extracting(RuleConfig::name)
        .containsExactly(
            "stdio.rule.istio-system",
            "stdiotcp.rule.istio-system",
            "promhttp.rule.istio-system",
            "promtcp.rule.istio-system",
            "promtcpconnectionopen.rule.istio-system",
            "promtcpconnectionclosed.rule.istio-system");
    assertThat(config.instances())
        .containsOnlyKeys(
            "accesslog.logentry.istio-system",
            "tcpaccesslog.logentry.istio-system",
            "requestcount.metric.istio-system",
            "requestduration.metric.istio-system",
            "requestsize.metric.istio-system",
            "responsesize.metric.istio-system",
            "tcpbytesent.metric.istio-system",
            "tcpbytereceived.metric.istio-system",
            "tcpconnectionsopened.metric.istio-system",
            "tcpconnectionsclosed.metric.istio-system");
    assertThat(warnings(config)).containsExactlyElementsOf(ISTIO_11_WARNINGS);
    assertThat(config.instances().get("accesslog.logentry.istio-system").fields())
        .containsKey("variables.responseFlags");
  }

  static Stream<Path> samples() throws IOException {
    try (Stream<Path> files = Files.list(MixerReference.file("samples"))) {
      List<Path> list = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
      assertThat(list).hasSize(5);
      return list.stream();
    }
  }

  /**
   * Every sample's own objects load: nothing from the sample itself is skipped but proxy config.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void everySampleLoadsOnTopOfItsReleasesDefaultConfig(Path sample) throws Exception {
    String base =
        sample.getFileName().toString().equals("mixer-rule-deny-ip.yaml") ? ISTIO_11 : ISTIO_10;
    PolicyConfig config = loader.load(List.of(MixerReference.file(base), sample));

    List<String> baseWarnings = base.equals(ISTIO_11) ? ISTIO_11_WARNINGS : ISTIO_10_WARNINGS;
    List<String> sampleWarnings =
        warnings(config).stream().filter(w -> !baseWarnings.contains(w)).toList();
    assertThat(sampleWarnings)
        .allSatisfy(
            w -> assertThat(w).containsPattern("QuotaSpec(Binding)? 'request-count.istio-system'"));
    List<RuleConfig> sampleRules =
        config.rules().stream()
            .filter(r -> r.source().file().equals(sample.toString()))
            .toList();
    assertThat(sampleRules).hasSize(1);
    assertThat(sampleRules.get(0).actions()).hasSize(1);
    assertThat(config.rules()).hasSize(1 + (base.equals(ISTIO_11) ? 6 : 4));
  }

  /** With the full built-in vocabulary a sample also loads on its own, file as it stands. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void everySampleLoadsAlone(Path sample) throws Exception {
    PolicyConfig config = loader.load(List.of(sample));

    assertThat(warnings(config))
        .allSatisfy(
            w -> assertThat(w).containsPattern("QuotaSpec(Binding)? 'request-count.istio-system'"));
    assertThat(config.handlers()).hasSize(1);
    assertThat(config.instances()).hasSize(1);
    assertThat(config.rules()).hasSize(1);
    assertThat(config.rules().get(0).actions()).hasSize(1);
  }

  @Test
  void denyLabelSample() throws Exception {
    PolicyConfig config = load(ISTIO_10, "samples/mixer-rule-deny-label.yaml");

    HandlerConfig handler = config.handlers().get("denyreviewsv3handler.denier.istio-system");
    assertThat(handler.adapterConfig())
        .isEqualTo(new DenierConfig(7, "Not allowed", Duration.ofSeconds(5), 1000));
    InstanceConfig request =
        config.instances().get("denyreviewsv3request.checknothing.istio-system");
    RuleConfig rule = config.rules().getLast();
    assertThat(rule.name()).isEqualTo("denyreviewsv3.rule.istio-system");
    assertThat(rule.match().type()).isEqualTo(ValueType.BOOL);
    assertThat(rule.actions()).containsExactly(new Action(handler, List.of(request), null));
  }

  @Test
  void ingressDenialSampleUsesFullyQualifiedReferences() throws Exception {
    PolicyConfig config = load(ISTIO_10, "samples/mixer-rule-ingress-denial.yaml");

    RuleConfig rule = config.rules().getLast();
    assertThat(rule.name()).isEqualTo("denyingress.rule.istio-system");
    assertThat(rule.actions().get(0).handler().name()).isEqualTo("handler.denier.istio-system");
    assertThat(rule.actions().get(0).instances())
        .extracting(InstanceConfig::name)
        .containsExactly("denyrequest.checknothing.istio-system");
  }

  @Test
  void ratelimitSamplesParseMemquotaOverridesAndQuotaDimensions() throws Exception {
    PolicyConfig config = load(ISTIO_10, "samples/mixer-rule-productpage-ratelimit.yaml");

    MemQuotaConfig memquota =
        (MemQuotaConfig) config.handlers().get("handler.memquota.istio-system").adapterConfig();
    assertThat(memquota.quotas()).hasSize(1);
    assertThat(memquota.quotas().get(0).name()).isEqualTo("requestcount.quota.istio-system");
    assertThat(memquota.quotas().get(0).maxAmount()).isEqualTo(500);
    assertThat(memquota.quotas().get(0).overrides())
        .containsExactly(
            new QuotaOverride(Map.of("destination", "reviews"), 1, Duration.ofSeconds(5)),
            new QuotaOverride(
                Map.of("destination", "productpage", "source", "10.28.11.20"),
                500,
                Duration.ofSeconds(1)),
            new QuotaOverride(Map.of("destination", "productpage"), 2, Duration.ofSeconds(5)));
    InstanceConfig quota = config.instances().get("requestcount.quota.istio-system");
    assertThat(quota.fields().keySet())
        .containsExactlyInAnyOrder(
            "dimensions.source", "dimensions.destination", "dimensions.destinationVersion");
    // The rule has no namespace: it is in istio-system, where 'handler.memquota' lives.
    RuleConfig rule = config.rules().getLast();
    assertThat(rule.name()).isEqualTo("quota.rule.istio-system");
    assertThat(rule.match()).isNull();
    assertThat(rule.actions().get(0).instances()).containsExactly(quota);
  }

  @Test
  void denyIpSampleUsesTheGenericKindsAndTheListcheckerAdapterName() throws Exception {
    PolicyConfig config = load(ISTIO_11, "samples/mixer-rule-deny-ip.yaml");

    HandlerConfig handler = config.handlers().get("whitelistip.handler.istio-system");
    assertThat(handler.adapter().name()).isEqualTo("listchecker");
    assertThat(handler.adapterConfig())
        .isEqualTo(new ListConfig(List.of("10.57.0.0/16"), EntryType.IP_ADDRESSES, false, null));
    InstanceConfig sourceIp = config.instances().get("sourceip.instance.istio-system");
    assertThat(sourceIp.template()).isEqualTo("listentry");
    assertThat(sourceIp.fields().get("value").type()).isEqualTo(ValueType.IP_ADDRESS);
    assertThat(config.rules().getLast().actions())
        .containsExactly(new Action(handler, List.of(sourceIp), null));
  }
}
