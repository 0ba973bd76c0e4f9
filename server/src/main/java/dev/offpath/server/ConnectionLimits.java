package dev.offpath.server;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Bounds on what one client connection to the gRPC port may hold or do (README "Security"):
 * concurrent streams; the connection's age (then GOAWAY, and {@code maxConnectionAgeGrace} for calls
 * in flight, so Envoy's long-lived HTTP/2 connections re-balance across replicas); how often the
 * client may ping (more often is a strike, and a few strikes close the connection with GOAWAY
 * ENHANCE_YOUR_CALM: a ping flood is refused); idle time without calls; and RST_STREAM frames per
 * second (the HTTP/2 rapid-reset attack). A duration of zero means no limit.
 */
public record ConnectionLimits(
    int maxConcurrentStreams,
    Duration maxConnectionAge,
    Duration maxConnectionAgeGrace,
    Duration permitKeepAliveTime,
    Duration maxConnectionIdle,
    int maxRstStreamsPerSecond) {

  public static final ConnectionLimits DEFAULTS =
      new ConnectionLimits(
          1000, Duration.ofMinutes(30), Duration.ofMinutes(1), Duration.ofSeconds(10), Duration.ofHours(1), 1000);

  public ConnectionLimits {
    requireNonNull(maxConnectionAge, "maxConnectionAge");
    requireNonNull(maxConnectionAgeGrace, "maxConnectionAgeGrace");
    requireNonNull(permitKeepAliveTime, "permitKeepAliveTime");
    requireNonNull(maxConnectionIdle, "maxConnectionIdle");
    if (maxConcurrentStreams <= 0) {
      throw new IllegalArgumentException("maxConcurrentStreams: " + maxConcurrentStreams + " (expected: > 0)");
    }
    if (maxRstStreamsPerSecond < 0) {
      throw new IllegalArgumentException("maxRstStreamsPerSecond: " + maxRstStreamsPerSecond + " (expected: >= 0, 0 for no limit)");
    }
    for (Duration d : new Duration[] {maxConnectionAge, maxConnectionAgeGrace, permitKeepAliveTime, maxConnectionIdle}) {
      if (d.isNegative()) {
        throw new IllegalArgumentException("connection limit: " + d + " (expected: >= 0)");
      }
    }
  }
}
