package dev.offpath.adapters.stdio;

import static java.util.Objects.requireNonNull;

import dev.offpath.adapters.stdio.StdioConfig.Level;
import dev.offpath.adapters.stdio.StdioConfig.Stream;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Mixer's {@code stdio} adapter. Params as in Istio 1.0/1.1: {@code logStream} (STDOUT, STDERR,
 * FILE, ROTATED_FILE; default STDOUT), {@code severityLevels} (severity text → INFO / WARNING /
 * ERROR, merged over Mixer's defaults), {@code metricLevel} and {@code outputLevel} (default INFO),
 * {@code outputAsJson} (default false: console lines), {@code outputPath} (required for the file
 * streams), {@code maxMegabytesBeforeRotation} (100), {@code maxDaysBeforeRotation} (30) and {@code
 * maxRotatedFiles} (1000).
 */
public final class StdioFactory implements AdapterFactory<StdioConfig> {

  /** Mixer's default severity names. A severity not listed (as written or upper-cased) is INFO. */
  static final Map<String, Level> DEFAULT_SEVERITIES =
      Map.of(
          "INFORMATIONAL", Level.INFO,
          "INFO", Level.INFO,
          "WARNING", Level.WARNING,
          "WARN", Level.WARNING,
          "ERROR", Level.ERROR,
          "ERR", Level.ERROR,
          "FATAL", Level.ERROR,
          "CRITICAL", Level.ERROR,
          "ALERT", Level.ERROR,
          "EMERGENCY", Level.ERROR);

  @Override
  public String name() {
    return "stdio";
  }

  @Override
  public Set<String> templates() {
    return Set.of("logentry", "metric");
  }

  @Override
  public StdioConfig parse(Params params) throws AdapterConfigException {
    requireNonNull(params, "params");
    Stream stream = params.enumValue("logStream", Stream.class, Stream.STDOUT);
    Map<String, Level> severities = new LinkedHashMap<>(DEFAULT_SEVERITIES);
    for (Map.Entry<String, String> e : params.stringMap("severityLevels").entrySet()) {
      severities.put(e.getKey(), level(params, "severityLevels." + e.getKey(), e.getValue()));
    }
    Level metricLevel = params.enumValue("metricLevel", Level.class, Level.INFO);
    Level outputLevel = params.enumValue("outputLevel", Level.class, Level.INFO);
    boolean json = params.booleanValue("outputAsJson", false);
    String path = params.string("outputPath", "");
    if ((stream == Stream.FILE || stream == Stream.ROTATED_FILE) && path.isBlank()) {
      throw params.invalid("outputPath", "missing (expected: a file path for logStream " + stream + ")");
    }
    long megabytes = params.longValue("maxMegabytesBeforeRotation", 100);
    if (megabytes <= 0 || megabytes > 1 << 20) {
      throw params.invalid("maxMegabytesBeforeRotation", megabytes + " (expected: 1 to 1048576)");
    }
    long days = params.longValue("maxDaysBeforeRotation", 30);
    if (days < 0 || days > 36500) {
      throw params.invalid("maxDaysBeforeRotation", days + " (expected: 0 to 36500)");
    }
    long files = params.longValue("maxRotatedFiles", 1000);
    if (files < 0 || files > 100_000) {
      throw params.invalid("maxRotatedFiles", files + " (expected: 0 to 100000)");
    }
    params.rejectUnknown();
    return new StdioConfig(
        stream,
        severities,
        metricLevel,
        outputLevel,
        json,
        path,
        megabytes << 20,
        (int) days,
        (int) files);
  }

  private static Level level(Params params, String key, String text)
      throws AdapterConfigException {
    String t = text.trim().toUpperCase(Locale.ROOT);
    for (Level l : Level.values()) {
      if (l.name().equals(t)) {
        return l;
      }
    }
    if (t.matches("[0-2]")) {
      return Level.values()[Integer.parseInt(t)];
    }
    throw params.invalid(key, text + " (expected: one of INFO, WARNING, ERROR)");
  }

  @Override
  public Handler create(StdioConfig config, AdapterEnvironment environment) {
    return new StdioHandler(
        requireNonNull(config, "config"), requireNonNull(environment, "environment"));
  }
}
