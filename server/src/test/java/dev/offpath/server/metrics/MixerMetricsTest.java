package dev.offpath.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.config.ConfigError;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.ConfigWarning;
import dev.offpath.core.config.HandlerConfig;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.config.Source;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MixerMetricsTest {

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final MixerMetrics metrics = new MixerMetrics(registry);

  @Test
  void dispatchesCountedByAdapterHandlerTemplateAndError() {
    metrics.dispatched("denier", "denyall.denier.istio-system", "checknothing", false, 2_000_000);
    metrics.dispatched("denier", "denyall.denier.istio-system", "checknothing", false, 1_000_000);
    metrics.dispatched("denier", "denyall.denier.istio-system", "checknothing", true, 50_000_000);
    metrics.dispatched("list", "whitelist.istio-system", "listentry", false, 10_000);

    String denyOk =
        "adapter=\"denier\",error=\"false\",handler=\"denyall.denier.istio-system\","
            + "meshFunction=\"checknothing\"";
    String denyErr = denyOk.replace("error=\"false\"", "error=\"true\"");
    String list =
        "adapter=\"list\",error=\"false\",handler=\"whitelist.istio-system\",meshFunction=\"listentry\"";
    assertThat(Scrape.text(registry))
        .contains("mixer_runtime_dispatch_count_total{" + denyOk + "} 2.0\n")
        .contains("mixer_runtime_dispatch_count_total{" + denyErr + "} 1.0\n")
        .contains("mixer_runtime_dispatch_count_total{" + list + "} 1.0\n")
        .contains("mixer_runtime_dispatch_duration_seconds_count{" + denyOk + "} 2\n")
        .contains("mixer_runtime_dispatch_duration_seconds_sum{" + denyOk + "} 0.003\n")
        .contains("mixer_runtime_dispatch_duration_seconds_bucket{" + denyOk + ",le=\"0.001\"} 1\n")
        .contains("mixer_runtime_dispatch_duration_seconds_bucket{" + denyOk + ",le=\"0.0025\"} 2\n")
        .contains("mixer_runtime_dispatch_duration_seconds_sum{" + denyErr + "} 0.05\n")
        .contains("mixer_runtime_dispatch_duration_seconds_sum{" + list + "} 1.0E-5\n");
  }

  @Test
  void handlerMovedToAnotherAdapterGetsItsOwnSeries() {
    metrics.dispatched("denier", "h.istio-system", "checknothing", false, 0);
    metrics.dispatched("list", "h.istio-system", "checknothing", false, 0);
    metrics.dispatched("list", "h.istio-system", "checknothing", false, 0);

    assertThat(Scrape.text(registry))
        .contains(
            "mixer_runtime_dispatch_count_total{adapter=\"denier\",error=\"false\","
                + "handler=\"h.istio-system\",meshFunction=\"checknothing\"} 1.0\n")
        .contains(
            "mixer_runtime_dispatch_count_total{adapter=\"list\",error=\"false\","
                + "handler=\"h.istio-system\",meshFunction=\"checknothing\"} 2.0\n");
  }

  @Test
  void matchErrorsByRule() {
    metrics.matchError("deny-bad.istio-system");
    metrics.matchError("deny-bad.istio-system");
    metrics.matchError("other.default");

    assertThat(Scrape.text(registry))
        .contains("mixer_config_rule_config_match_error_count_total{rule=\"deny-bad.istio-system\"} 2.0\n")
        .contains("mixer_config_rule_config_match_error_count_total{rule=\"other.default\"} 1.0\n");
  }

  @Test
  void beforeAnyLoadEveryCounterIsZero() {
    assertThat(Scrape.text(registry))
        .contains("offpath_config_reload_total{result=\"success\"} 0.0\n")
        .contains("offpath_config_reload_total{result=\"failure\"} 0.0\n")
        .contains("mixer_config_handler_validation_error_count_total 0.0\n")
        .contains("mixer_config_instance_config_error_count_total 0.0\n")
        .contains("mixer_config_rule_config_error_count_total 0.0\n")
        .contains("mixer_config_attribute_manifest_error_count_total 0.0\n")
        .contains("mixer_config_load_error_count_total 0.0\n");
  }

  @Test
  void configLoadedSetsGauges() {
    metrics.configLoaded(config(2, 3, 1, 4, 1), 7);

    assertThat(Scrape.text(registry))
        .contains("mixer_config_handler_config_count 2.0\n")
        .contains("mixer_config_instance_config_count 3.0\n")
        .contains("mixer_config_rule_config_count 1.0\n")
        .contains("mixer_config_attribute_count 4.0\n")
        .contains("offpath_config_version 7.0\n")
        .contains("offpath_config_warning_count 1.0\n")
        .contains("offpath_config_reload_total{result=\"success\"} 1.0\n")
        .contains("offpath_config_reload_total{result=\"failure\"} 0.0\n");

    metrics.configLoaded(config(1, 1, 0, 2, 0), 8);

    assertThat(Scrape.text(registry))
        .contains("mixer_config_handler_config_count 1.0\n")
        .contains("mixer_config_rule_config_count 0.0\n")
        .contains("offpath_config_version 8.0\n")
        .contains("offpath_config_warning_count 0.0\n")
        .contains("offpath_config_reload_total{result=\"success\"} 2.0\n");
  }

  @Test
  void configRejectedCountsEachErrorByCategory() {
    metrics.configLoaded(config(2, 3, 1, 4, 0), 1);
    metrics.configRejected(
        List.of(
            error(Category.HANDLER),
            error(Category.INSTANCE),
            error(Category.INSTANCE),
            error(Category.RULE),
            error(Category.RULE),
            error(Category.RULE),
            error(Category.MANIFEST),
            error(Category.SYNTAX)));
    metrics.configRejected(List.of(error(Category.SYNTAX)));

    assertThat(Scrape.text(registry))
        .contains("offpath_config_reload_total{result=\"success\"} 1.0\n")
        .contains("offpath_config_reload_total{result=\"failure\"} 2.0\n")
        .contains("mixer_config_handler_validation_error_count_total 1.0\n")
        .contains("mixer_config_instance_config_error_count_total 2.0\n")
        .contains("mixer_config_rule_config_error_count_total 3.0\n")
        .contains("mixer_config_attribute_manifest_error_count_total 1.0\n")
        .contains("mixer_config_load_error_count_total 2.0\n")
        // The served config is still the previous one.
        .contains("offpath_config_version 1.0\n")
        .contains("mixer_config_handler_config_count 2.0\n");
  }

  private static ConfigError error(Category category) {
    return new ConfigError(new Source("policy.yaml", 3), category, "bad " + category);
  }

  private static PolicyConfig config(
      int handlers, int instances, int rules, int attributes, int warnings) {
    Source source = new Source("policy.yaml", 1);
    Map<String, HandlerConfig> hs = new java.util.HashMap<>();
    for (int i = 0; i < handlers; i++) {
      hs.put("h" + i + ".ns", new HandlerConfig("h" + i + ".ns", new NoAdapter(), "config", source));
    }
    Map<String, InstanceConfig> is = new java.util.HashMap<>();
    for (int i = 0; i < instances; i++) {
      is.put("i" + i + ".ns", new InstanceConfig("i" + i + ".ns", "checknothing", Map.of(), source));
    }
    List<RuleConfig> rs = new java.util.ArrayList<>();
    for (int i = 0; i < rules; i++) {
      rs.add(new RuleConfig("r" + i + ".ns", null, List.of(), List.of(), List.of(), source));
    }
    Map<String, ValueType> attrs = new java.util.HashMap<>();
    for (int i = 0; i < attributes; i++) {
      attrs.put("a" + i, ValueType.STRING);
    }
    List<ConfigWarning> ws = new java.util.ArrayList<>();
    for (int i = 0; i < warnings; i++) {
      ws.add(new ConfigWarning(source, "skipped " + i));
    }
    return new PolicyConfig(AttributeManifest.of(attrs), hs, is, rs, ws);
  }

  private static final class NoAdapter implements AdapterFactory<String> {
    @Override
    public String name() {
      return "none";
    }

    @Override
    public Set<String> templates() {
      return Set.of("checknothing");
    }

    @Override
    public String parse(Params params) {
      return "config";
    }

    @Override
    public Handler create(String config, AdapterEnvironment environment) {
      throw new UnsupportedOperationException("not started in this test");
    }
  }
}
