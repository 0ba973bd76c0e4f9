package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.benchmarks.load.LoadOptions.Phase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadOptionsTest {

  @Test
  void defaultsDeriveTheRatesFromTheBaseline() {
    LoadOptions o = LoadOptions.defaults();
    assertThat(o.offpathJar()).isEqualTo(Path.of("server/target/offpath.jar"));
    assertThat(o.fixedRate()).isZero();
    assertThat(o.mixedRate()).isZero();
    assertThat(o.logRate()).isEqualTo(50_000);
    assertThat(o.maxDuration()).isEqualTo(Duration.ofSeconds(6));
    assertThat(o.stepStart()).isEqualTo(2000);
    assertThat(o.stepMaxP50()).isEqualTo(Duration.ofMillis(10));
  }

  @Test
  void parsesBothFlagForms() {
    LoadOptions o =
        LoadOptions.parse(
            new String[] {
              "--fixed-rate=5000", "--max-duration", "1500ms", "--server-jvm-opts", "-XX:+UseZGC  -Xmx1g",
              "--offpath-args", "--event-loop-threads 4"
            });
    assertThat(o.fixedRate()).isEqualTo(5000);
    assertThat(o.maxDuration()).isEqualTo(Duration.ofMillis(1500));
    assertThat(o.serverJvmOptions()).isEqualTo(List.of("-XX:+UseZGC", "-Xmx1g"));
    assertThat(o.offpathArgs()).isEqualTo(List.of("--event-loop-threads", "4"));
    assertThat(LoadOptions.parse(new String[0]).offpathArgs()).isEmpty();
  }

  @Test
  void rejectsUnknownFlagsAndBadValues() {
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--rate", "5"}))
        .hasMessage("unknown flag(s): --rate");
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--concurrency", "0"}))
        .hasMessage("concurrency: 0 (expected: > 0)");
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--warmup", "soon"}))
        .hasMessageStartingWith("--warmup: ");
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--users"}))
        .hasMessage("--users: missing value");
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"fast"}))
        .hasMessage("unexpected argument: fast (expected: --flag value)");
  }

  @Test
  void phasesDefaultToAllAndParseAList() {
    assertThat(LoadOptions.defaults().phases())
        .containsExactly(Phase.CAPACITY, Phase.CLOSED, Phase.FIXED, Phase.INGEST, Phase.MIXED);
    assertThat(LoadOptions.defaults().needsBaseline()).isTrue();
    LoadOptions o = LoadOptions.parse(new String[] {"--phases", "mixed,ingest", "--mixed-rate", "900"});
    assertThat(o.phases()).containsExactly(Phase.INGEST, Phase.MIXED);
    assertThat(o.phaseList()).isEqualTo("ingest,mixed");
    assertThat(o.needsBaseline()).isFalse();
    assertThat(o.describe()).contains("phases: ingest,mixed");
    assertThat(LoadOptions.parse(new String[] {"--phases", "closed"}).needsBaseline()).isTrue();
  }

  @Test
  void phasesThatDeriveTheirRateFromTheCapacityNeedItOrARate() {
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--phases", "fixed"}))
        .hasMessage("--phases fixed needs capacity or --fixed-rate");
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--phases", "ingest,mixed"}))
        .hasMessage("--phases mixed needs capacity, --mixed-rate or --fixed-rate");
    assertThat(LoadOptions.parse(new String[] {"--phases", "fixed", "--fixed-rate", "100"}).fixedRate())
        .isEqualTo(100);
    assertThat(LoadOptions.parse(new String[] {"--phases", "mixed", "--fixed-rate", "100"}).phases())
        .containsExactly(Phase.MIXED);
    assertThat(LoadOptions.parse(new String[] {"--phases", "capacity,mixed"}).phases())
        .containsExactly(Phase.CAPACITY, Phase.MIXED);
  }

  @Test
  void rejectsUnknownAndEmptyPhases() {
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--phases", "ingest,leak"}))
        .hasMessage("--phases: ingest,leak (expected: a comma list of capacity, closed, fixed, ingest, mixed, soak)");
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--phases", ""}))
        .hasMessage("--phases:  (expected: a comma list of capacity, closed, fixed, ingest, mixed, soak)");
  }

  @Test
  void theSoakRunsOnlyWhenNamedAndTakesItsRateFromTheFixedRate() {
    LoadOptions defaults = LoadOptions.defaults();
    assertThat(defaults.runs(Phase.SOAK)).isFalse();
    assertThat(defaults.soakDuration()).isEqualTo(Duration.ofMinutes(10));
    assertThat(defaults.soakSample()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.soakRate()).isZero();
    assertThat(defaults.soakLogRate()).isEqualTo(20_000);
    assertThat(defaults.soakUsers()).isEqualTo(50_000);

    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--phases", "soak"}))
        .hasMessage("--phases soak needs capacity, --soak-rate or --fixed-rate");
    LoadOptions soak =
        LoadOptions.parse(
            new String[] {
              "--phases", "soak", "--soak-rate", "2000", "--soak-duration", "90s", "--soak-sample", "15s",
              "--soak-log-rate", "5000", "--soak-users", "20000"
            });
    assertThat(soak.phases()).containsExactly(Phase.SOAK);
    assertThat(soak.needsBaseline()).isFalse();
    assertThat(soak.soakRate()).isEqualTo(2000);
    assertThat(soak.soakDuration()).isEqualTo(Duration.ofSeconds(90));
    assertThat(soak.describe())
        .contains("phases: soak; soak 90s, heap sampled every 15s, 20000 users, 5000 entries/s on 2 streams");
    assertThat(LoadOptions.parse(new String[] {"--phases", "soak", "--fixed-rate", "900"}).soakRate()).isZero();
    assertThat(LoadOptions.parse(new String[] {"--phases", "capacity,mixed,soak"}).phaseList())
        .isEqualTo("capacity,mixed,soak");
  }

  @Test
  void theSoakTakesThreeHeapSamplesAtLeast() {
    assertThatThrownBy(
            () ->
                LoadOptions.parse(
                    new String[] {"--soak-duration", "1m", "--soak-sample", "21s"}))
        .hasMessage("soakSample: PT21S (expected: <= a third of soakDuration PT1M, for three heap samples at least)");
    assertThat(LoadOptions.parse(new String[] {"--soak-duration", "1m", "--soak-sample", "20s"}).soakSample())
        .isEqualTo(Duration.ofSeconds(20));
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--soak-users", "0"}))
        .hasMessage("soakUsers: 0 (expected: > 0)");
  }

  @Test
  void durationsAreShownAsTheFlagsTakeThem() {
    assertThat(LoadOptions.flag(Duration.ofMinutes(10))).isEqualTo("10m");
    assertThat(LoadOptions.flag(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(LoadOptions.flag(Duration.ofMillis(1500))).isEqualTo("1500ms");
  }
}
