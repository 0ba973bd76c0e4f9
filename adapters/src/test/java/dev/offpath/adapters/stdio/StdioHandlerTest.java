package dev.offpath.adapters.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.adapters.stdio.StdioConfig.Level;
import dev.offpath.adapters.stdio.StdioConfig.Stream;
import dev.offpath.adapters.testing.Samples;
import dev.offpath.adapters.testing.TestEnvironment;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.ReportHandler;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StdioHandlerTest {

  private final TestEnvironment env = new TestEnvironment();
  private final StdioFactory factory = new StdioFactory();
  @TempDir Path dir;

  @AfterEach
  void close() {
    env.close();
  }

  private ReportHandler handler(Map<String, Object> params) throws AdapterConfigException {
    Map<String, Object> p = new LinkedHashMap<>(params);
    p.putIfAbsent("logStream", "FILE");
    p.putIfAbsent("outputPath", dir.resolve("access.log").toString());
    return (ReportHandler) factory.create(factory.parse(Params.of(p)), env);
  }

  private static Instance log(String severity, Instant time, Object... variables) {
    Map<String, Object> fields = new HashMap<>();
    fields.put("severity", severity);
    fields.put("timestamp", time);
    for (int i = 0; i < variables.length; i += 2) {
      fields.put("variables." + variables[i], variables[i + 1]);
    }
    return new Instance("accesslog.logentry.istio-system", "logentry", fields);
  }

  private List<String> lines() throws Exception {
    return Files.readAllLines(dir.resolve("access.log"));
  }

  @Test
  void installedAndIstioDefaultsParse() throws Exception {
    assertThat(AdapterRegistry.installed().find("stdio")).isInstanceOf(StdioFactory.class);
    StdioConfig config =
        factory.parse(
            Params.of(Samples.handlerParams("../istio-1.0-mixer-config.yaml", "stdio").get(0)));
    assertThat(config.outputAsJson()).isTrue();
    assertThat(config.logStream()).isEqualTo(Stream.STDOUT);
    assertThat(config.maxBytesBeforeRotation()).isEqualTo(100L << 20);
  }

  @Test
  void jsonLinesCarryLevelTimeInstanceAndSortedVariables() throws Exception {
    ReportHandler h = handler(Map.of("outputAsJson", true));
    Instant t = Instant.parse("2026-01-02T03:04:05.123Z");

    h.report(
        List.of(
            log(
                "Info",
                t,
                "url", "/a\"b",
                "responseCode", 200L,
                "latency", Duration.ofNanos(1_500_000),
                "sourceIp", IpAddress.parse("10.0.0.1"),
                "mtls", true,
                "labels", StringMap.of(Map.of("b", "2", "a", "1"))),
            log("ERROR", t)));
    h.close();

    assertThat(lines())
        .containsExactly(
            "{\"level\":\"info\",\"time\":\"2026-01-02T03:04:05.123Z\","
                + "\"instance\":\"accesslog.logentry.istio-system\",\"labels\":{\"a\":\"1\",\"b\":\"2\"},"
                + "\"latency\":\"1.5ms\",\"mtls\":true,\"responseCode\":200,"
                + "\"sourceIp\":\"10.0.0.1\",\"url\":\"/a\\\"b\"}",
            "{\"level\":\"error\",\"time\":\"2026-01-02T03:04:05.123Z\","
                + "\"instance\":\"accesslog.logentry.istio-system\"}");
  }

  @Test
  void consoleLinesSeverityMappingOutputLevelAndMetrics() throws Exception {
    ReportHandler h =
        handler(
            Map.of(
                "severityLevels", Map.of("noisy", "INFO", "bad", "ERROR"),
                "outputLevel", "WARNING",
                "metricLevel", "ERROR"));
    Instant t = Instant.parse("2026-01-02T03:04:05Z");

    h.report(List.of(log("noisy", t, "a", 1L), log("bad", t, "a", 2L), log("warn", t)));
    env.ticker.advance(Duration.ofSeconds(1));
    h.report(
        List.of(
            new Instance(
                "requestcount.metric.istio-system",
                "metric",
                Map.of("value", 1L, "dimensions.code", 200L))));
    h.close();

    assertThat(lines())
        .containsExactly(
            "2026-01-02T03:04:05Z\terror\taccesslog.logentry.istio-system\t{\"a\":2}",
            "2026-01-02T03:04:05Z\twarn\taccesslog.logentry.istio-system\t{}",
            env.ticker.instant() + "\terror\trequestcount.metric.istio-system\t"
                + "{\"code\":200,\"value\":1}");
  }

  @Test
  void rotatedFilesRollOverAtTheSizeBoundAndOldOnesArePruned() throws Exception {
    ReportHandler h =
        handler(
            Map.of(
                "logStream", "ROTATED_FILE",
                "outputAsJson", true,
                "maxMegabytesBeforeRotation", 1,
                "maxRotatedFiles", 2));
    String padding = "x".repeat(1000);
    int lines = 0;
    for (int batch = 0; batch < 4; batch++) {
      List<Instance> instances = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        instances.add(log("Info", env.ticker.instant(), "n", (long) lines++, "pad", padding));
      }
      h.report(instances);
      env.ticker.advance(Duration.ofSeconds(1));
    }
    h.close();

    List<Path> files;
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      files = s.sorted().toList();
    }
    // About 4 MB written with a 1 MB bound: 3 rotations, the oldest pruned to keep 2.
    assertThat(files).hasSize(3);
    assertThat(files.getLast().getFileName().toString()).isEqualTo("access.log");
    assertThat(files.getFirst().getFileName().toString()).matches("access-.*\\.log");
    long total = 0;
    for (Path f : files) {
      assertThat(Files.size(f)).isLessThanOrEqualTo(1 << 20);
      total += Files.readAllLines(f).size();
    }
    assertThat(lines()).last().asString().contains("\"n\":3999");
    assertThat(total).isLessThan(lines).isGreaterThan(2000);
  }

  @Test
  void errorsNameTheParam() {
    assertThat(error(Map.of("logStream", "FILE")))
        .isEqualTo("outputPath: missing (expected: a file path for logStream FILE)");
    assertThat(error(Map.of("severityLevels", Map.of("x", "LOUD"))))
        .isEqualTo("severityLevels.x: LOUD (expected: one of INFO, WARNING, ERROR)");
    assertThat(error(Map.of("logStream", "PIGEON")))
        .isEqualTo("logStream: PIGEON (expected: one of STDOUT, STDERR, FILE, ROTATED_FILE)");
    assertThat(error(Map.of("maxMegabytesBeforeRotation", 0)))
        .isEqualTo("maxMegabytesBeforeRotation: 0 (expected: 1 to 1048576)");
  }

  @Test
  void defaultSeveritiesAreMixers() throws Exception {
    StdioConfig c = factory.parse(Params.of(Map.of()));
    assertThat(c.severityLevels()).containsEntry("WARN", Level.WARNING).containsEntry("ERR",
        Level.ERROR);
    assertThat(c.outputAsJson()).isFalse();
  }

  private String error(Map<String, ?> params) {
    try {
      factory.parse(Params.of(params));
    } catch (AdapterConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected an error for " + params);
  }
}
