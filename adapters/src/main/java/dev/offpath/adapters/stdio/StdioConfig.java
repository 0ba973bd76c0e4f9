package dev.offpath.adapters.stdio;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * Parsed {@code stdio} params (Mixer's names): where lines go, severity names → levels, the level
 * of metric lines, the lowest level written, JSON or console format, and file rotation bounds.
 */
public record StdioConfig(
    Stream logStream,
    Map<String, Level> severityLevels,
    Level metricLevel,
    Level outputLevel,
    boolean outputAsJson,
    String outputPath,
    long maxBytesBeforeRotation,
    int maxDaysBeforeRotation,
    int maxRotatedFiles) {

  /** Mixer's {@code Params.Stream}. */
  public enum Stream {
    STDOUT,
    STDERR,
    FILE,
    ROTATED_FILE
  }

  /** Mixer's {@code Params.Level}, in increasing severity. */
  public enum Level {
    INFO,
    WARNING,
    ERROR;

    /** The name as written in a line ({@code info}, {@code warn}, {@code error}), as zap wrote it. */
    String label() {
      return switch (this) {
        case INFO -> "info";
        case WARNING -> "warn";
        case ERROR -> "error";
      };
    }
  }

  public StdioConfig {
    requireNonNull(logStream, "logStream");
    severityLevels = Map.copyOf(severityLevels);
    requireNonNull(metricLevel, "metricLevel");
    requireNonNull(outputLevel, "outputLevel");
    requireNonNull(outputPath, "outputPath");
  }
}
