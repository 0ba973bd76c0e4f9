package dev.offpath.adapters.prometheus;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One metric of a {@code prometheus} handler, parsed: the {@code metric} instance it records, its
 * exposed name ({@code istio_requests_total}), help text, kind, label names (in exposition order)
 * and, for a distribution, the finite bucket upper bounds.
 */
public record MetricInfo(
    String instanceName,
    String name,
    String help,
    Kind kind,
    List<String> labelNames,
    List<Double> buckets) {

  /** Mixer's {@code MetricInfo.Kind}. */
  public enum Kind {
    GAUGE,
    COUNTER,
    DISTRIBUTION
  }

  public MetricInfo {
    requireNonNull(instanceName, "instanceName");
    requireNonNull(name, "name");
    requireNonNull(help, "help");
    requireNonNull(kind, "kind");
    labelNames = List.copyOf(labelNames);
    buckets = List.copyOf(buckets);
  }
}
