/**
 * The {@code prometheus} adapter: {@code metric} instances become Prometheus counters, gauges and
 * histograms, served on the telemetry port. Params as Mixer's (Istio 1.0/1.1).
 */
@NullMarked
package dev.offpath.adapters.prometheus;

import org.jspecify.annotations.NullMarked;
