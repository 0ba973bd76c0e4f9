package dev.offpath.server.decisions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.runtime.Decision;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decision log's bounds and sampling, with its writer held back and an injected random. */
class DecisionLogTest {

  @TempDir Path dir;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final InstantSource clock = InstantSource.fixed(Instant.parse("2026-12-05T10:00:00Z"));

  private static Decision allowed() {
    return new Decision(
        PolicyStatus.OK, Duration.ofSeconds(1), 10, null, null, false, false, List.of(), List.of());
  }

  private static Decision denied() {
    return new Decision(
        PolicyStatus.of(StatusCode.PERMISSION_DENIED, "h:no"), Duration.ofSeconds(1), 10, "r", "h",
        false, false, List.of(), List.of());
  }

  private static Attributes request(String id) {
    return MapAttributes.of(Map.of("request.id", id));
  }

  private static ReferencedAttributes reads() {
    ReferencedAttributes r = new ReferencedAttributes();
    r.attribute("request.path", "/x");
    return r;
  }

  private String metrics() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfWaiting() throws Exception {
    Path file = dir.resolve("d.log");
    DecisionLog log =
        DecisionLog.unstarted(
            new DecisionLogOptions(file.toString(), 1.0, List.of(), 2), registry, clock, () -> 0.0);

    for (int i = 0; i < 5; i++) {
      log.decided(request("r" + i), denied(), false, DecisionLogTest::reads);
    }
    assertThat(log.queued()).isEqualTo(2);
    log.startWriter();
    log.close();

    assertThat(Files.readAllLines(file))
        .hasSize(2)
        .allSatisfy(l -> assertThat(l).contains("\"allowed\":false").contains("\"request.path\":\"/x\""));
    assertThat(metrics())
        .containsPattern("offpath_decision_log_dropped_total\\{reason=\"queue_full\"} 3(\\.0)?\n")
        .containsPattern("offpath_decision_log_entries_total 2(\\.0)?\n");
  }

  @Test
  void allowsAreSampledDenialsAlwaysLogged() throws Exception {
    Path file = dir.resolve("d.log");
    ArrayDeque<Double> draws = new ArrayDeque<>(List.of(0.2, 0.7, 0.49, 0.5));
    DoubleSupplier random = draws::removeFirst;
    DecisionLog log =
        DecisionLog.start(
            new DecisionLogOptions(file.toString(), 0.5, List.of(), 100), registry, clock, random);

    log.decided(request("a1"), allowed(), false, DecisionLogTest::reads); // 0.2 < 0.5: logged
    log.decided(request("a2"), allowed(), false, DecisionLogTest::reads); // 0.7: not
    log.decided(request("d1"), denied(), true, DecisionLogTest::reads); // denial: no draw
    log.decided(request("a3"), allowed(), false, DecisionLogTest::reads); // 0.49: logged
    log.decided(request("a4"), allowed(), false, DecisionLogTest::reads); // 0.5: not
    log.close();

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).contains("\"requestId\":\"a1\"").contains("\"time\":\"2026-12-05T10:00:00Z\"");
    assertThat(lines.get(1)).contains("\"requestId\":\"d1\"").contains("\"cached\":true");
    assertThat(lines.get(2)).contains("\"requestId\":\"a3\"");
    assertThat(draws).isEmpty();
  }
}
