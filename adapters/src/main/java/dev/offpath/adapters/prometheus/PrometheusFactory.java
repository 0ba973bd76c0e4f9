package dev.offpath.adapters.prometheus;

import static java.util.Objects.requireNonNull;

import dev.offpath.adapters.prometheus.MetricInfo.Kind;
import dev.offpath.adapters.prometheus.PrometheusConfig.Expiry;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Mixer's {@code prometheus} adapter. Params as in Istio 1.0/1.1 (camelCase or snake_case): {@code
 * metrics [{name, instanceName, namespace, description, kind (GAUGE, COUNTER, DISTRIBUTION),
 * labelNames, buckets}]} with {@code buckets} one of {@code explicitBuckets {bounds}}, {@code
 * linearBuckets {numFiniteBuckets, width, offset}} or {@code exponentialBuckets {numFiniteBuckets,
 * growthFactor, scale}}; and {@code metricsExpirationPolicy {metricsExpiryDuration,
 * expiryCheckIntervalDuration}}.
 *
 * <p>Names follow Mixer: {@code namespace} (default {@code istio}) + {@code _} + {@code name} (or
 * the instance name when empty), with {@code /}, {@code .} and spaces turned into {@code _} and
 * {@code -} removed; the help text defaults to the name. Buckets follow Mixer's (Stackdriver's)
 * definition: {@code numFiniteBuckets + 1} bounds, {@code offset + width·i} or {@code scale ·
 * growthFactor^i}; a distribution without buckets gets Prometheus' default bounds.
 *
 * <p>One factory, one registry: every handler it creates registers its metrics in {@link
 * #registry()}, which the server serves on the telemetry port. Handlers of successive configs share
 * a metric whose definition did not change, so a reload keeps its counts.
 */
public final class PrometheusFactory implements AdapterFactory<PrometheusConfig> {

  /** Prometheus' default histogram bounds (client_golang {@code DefBuckets}). */
  static final List<Double> DEFAULT_BUCKETS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0);

  private final MetricStore store;

  /** A factory with a registry of its own (as {@link java.util.ServiceLoader} creates it). */
  public PrometheusFactory() {
    this(new PrometheusRegistry());
  }

  public PrometheusFactory(PrometheusRegistry registry) {
    this.store = new MetricStore(requireNonNull(registry, "registry"));
  }

  /** Where this factory's handlers register their metrics. */
  public PrometheusRegistry registry() {
    return store.registry();
  }

  @Override
  public String name() {
    return "prometheus";
  }

  @Override
  public Set<String> templates() {
    return Set.of("metric");
  }

  @Override
  public PrometheusConfig parse(Params params) throws AdapterConfigException {
    requireNonNull(params, "params");
    List<MetricInfo> metrics = new ArrayList<>();
    Set<String> instances = new HashSet<>();
    Set<String> names = new HashSet<>();
    for (Params m : params.objectList("metrics")) {
      MetricInfo info = metric(m);
      if (!instances.add(info.instanceName())) {
        throw m.invalid("instanceName", info.instanceName() + " (expected: one metric per instance)");
      }
      if (!names.add(MetricStore.baseName(info))) {
        throw m.invalid("name", info.name() + " (expected: a name no other metric uses)");
      }
      metrics.add(info);
    }
    Expiry expiry = PrometheusConfig.DEFAULT_EXPIRY;
    Params policy = params.object("metricsExpirationPolicy");
    if (policy != null) {
      Duration idle = policy.duration("metricsExpiryDuration");
      if (idle == null || idle.isNegative() || idle.isZero()) {
        throw policy.invalid(
            "metricsExpiryDuration",
            (idle == null ? "missing" : policy.string("metricsExpiryDuration"))
                + " (expected: a duration > 0)");
      }
      Duration check = policy.duration("expiryCheckIntervalDuration", idle.dividedBy(2));
      if (check.isNegative() || check.isZero()) {
        throw policy.invalid(
            "expiryCheckIntervalDuration",
            policy.string("expiryCheckIntervalDuration") + " (expected: a duration > 0)");
      }
      policy.rejectUnknown();
      expiry = new Expiry(idle, check);
    }
    long maxSeries = params.longValue("maxSeriesPerMetric", PrometheusConfig.DEFAULT_MAX_SERIES_PER_METRIC);
    if (maxSeries <= 0 || maxSeries > Integer.MAX_VALUE) {
      throw params.invalid("maxSeriesPerMetric", maxSeries + " (expected: 1.." + Integer.MAX_VALUE + ")");
    }
    params.rejectUnknown();
    return new PrometheusConfig(metrics, expiry, (int) maxSeries);
  }

  private static MetricInfo metric(Params m) throws AdapterConfigException {
    String instanceName = m.requireString("instanceName");
    String name = m.string("name", "");
    String namespace = m.string("namespace", "");
    String description = m.string("description", "");
    if (!m.has("kind")) {
      throw m.invalid("kind", "missing (expected: one of GAUGE, COUNTER, DISTRIBUTION)");
    }
    Kind kind = m.enumValue("kind", Kind.class, Kind.GAUGE);
    String full =
        (namespace.isEmpty() ? "istio" : safeName(namespace))
            + "_"
            + safeName(name.isEmpty() ? instanceName : name);
    List<String> labels = new ArrayList<>();
    List<String> written = m.stringList("labelNames");
    for (int i = 0; i < written.size(); i++) {
      String label = safeName(written.get(i));
      if (!PrometheusNaming.isValidLabelName(label)
          || (kind == Kind.DISTRIBUTION && label.equals("le"))) {
        throw m.invalid("labelNames[" + i + "]", written.get(i) + " (expected: a label name)");
      }
      if (labels.contains(label)) {
        throw m.invalid("labelNames[" + i + "]", written.get(i) + " (expected: unique label names)");
      }
      labels.add(label);
    }
    List<Double> buckets = List.of();
    Params b = m.object("buckets");
    if (kind == Kind.DISTRIBUTION) {
      buckets = b == null ? DEFAULT_BUCKETS : buckets(b);
    } else if (b != null) {
      throw m.invalid("buckets", "only a DISTRIBUTION has buckets (kind: " + kind + ")");
    }
    m.rejectUnknown();
    MetricInfo info =
        new MetricInfo(
            instanceName, full, description.isEmpty() ? full : description, kind, labels, buckets);
    try {
      MetricStore.build(info);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw m.invalid("", "metric " + full + ": " + e.getMessage());
    }
    return info;
  }

  private static List<Double> buckets(Params b) throws AdapterConfigException {
    Params explicit = b.object("explicitBuckets");
    Params linear = b.object("linearBuckets");
    Params exponential = b.object("exponentialBuckets");
    b.rejectUnknown();
    int defined = (explicit != null ? 1 : 0) + (linear != null ? 1 : 0) + (exponential != null ? 1 : 0);
    if (defined != 1) {
      throw b.invalid(
          "",
          "expected exactly one of explicitBuckets, linearBuckets, exponentialBuckets (found "
              + defined
              + ")");
    }
    List<Double> out = new ArrayList<>();
    if (explicit != null) {
      List<String> bounds = explicit.stringList("bounds");
      explicit.rejectUnknown();
      if (bounds.isEmpty()) {
        throw explicit.invalid("bounds", "empty (expected: at least one bound)");
      }
      for (int i = 0; i < bounds.size(); i++) {
        double v = parseDouble(explicit, "bounds[" + i + "]", bounds.get(i));
        if (!out.isEmpty() && v <= out.getLast()) {
          throw explicit.invalid("bounds[" + i + "]", v + " (expected: > " + out.getLast() + ")");
        }
        out.add(v);
      }
    } else if (linear != null) {
      int n = finiteBuckets(linear);
      double width = positive(linear, "width");
      double offset = number(linear, "offset", 0);
      linear.rejectUnknown();
      for (int i = 0; i <= n; i++) {
        out.add(offset + width * i);
      }
    } else {
      // defined == 1: this is the one.
      requireNonNull(exponential, "exponentialBuckets");
      int n = finiteBuckets(exponential);
      double growth = number(exponential, "growthFactor", 0);
      if (!(growth > 1)) {
        throw exponential.invalid("growthFactor", growth + " (expected: > 1)");
      }
      double scale = positive(exponential, "scale");
      exponential.rejectUnknown();
      for (int i = 0; i <= n; i++) {
        out.add(scale * Math.pow(growth, i));
      }
    }
    return out;
  }

  private static int finiteBuckets(Params p) throws AdapterConfigException {
    long n = p.longValue("numFiniteBuckets", 0);
    if (n <= 0 || n > 1000) {
      throw p.invalid("numFiniteBuckets", n + " (expected: 1 to 1000)");
    }
    return (int) n;
  }

  private static double positive(Params p, String key) throws AdapterConfigException {
    double v = number(p, key, 0);
    if (!(v > 0)) {
      throw p.invalid(key, v + " (expected: > 0)");
    }
    return v;
  }

  private static double number(Params p, String key, double defaultValue)
      throws AdapterConfigException {
    String text = p.string(key);
    return text == null ? defaultValue : parseDouble(p, key, text);
  }

  private static double parseDouble(Params p, String key, String text)
      throws AdapterConfigException {
    try {
      double v = Double.parseDouble(text.trim());
      if (Double.isFinite(v)) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw p.invalid(key, text + " (expected: a number)");
  }

  /** Mixer's {@code safeName}: no leading {@code /}; {@code / . space} → {@code _}; no {@code -}. */
  static String safeName(String name) {
    String s = name.startsWith("/") ? name.substring(1) : name;
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '/', '.', ' ' -> sb.append('_');
        case '-' -> {}
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  @Override
  public Handler create(PrometheusConfig config, AdapterEnvironment environment) {
    return new PrometheusHandler(
        requireNonNull(config, "config"), store, requireNonNull(environment, "environment"));
  }

  /** For tests: the store behind {@link #registry()}. */
  MetricStore store() {
    return store;
  }
}
