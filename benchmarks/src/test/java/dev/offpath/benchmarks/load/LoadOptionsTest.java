package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
              "--fixed-rate=5000", "--max-duration", "1500ms", "--server-jvm-opts", "-XX:+UseZGC  -Xmx1g"
            });
    assertThat(o.fixedRate()).isEqualTo(5000);
    assertThat(o.maxDuration()).isEqualTo(Duration.ofMillis(1500));
    assertThat(o.serverJvmOptions()).isEqualTo(List.of("-XX:+UseZGC", "-Xmx1g"));
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
}
