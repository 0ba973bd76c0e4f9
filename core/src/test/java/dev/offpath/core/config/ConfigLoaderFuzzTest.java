package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Fuzzes the public config entry point ({@link ConfigLoader#loadTexts}: YAML parsing, every kind's
 * compiler, expressions, adapter params) with one file of arbitrary bytes. Invariant: the load
 * either returns a config or throws {@link ConfigException} whose every error names the file with
 * a line ({@code file:line: message}, line 0 for the whole file) and a non-blank message; nothing
 * else escapes (no unchecked exception, no stack overflow).
 *
 * <p>{@code ./offpath test} replays the seed corpus in {@code ConfigLoaderFuzzTestInputs/} (test
 * resources: Istio's and Offpath's example configs and the invalid-config fixtures) and every crash
 * found so far; {@code JAZZER_FUZZ=1} fuzzes (README "Testing").
 */
class ConfigLoaderFuzzTest {

  private static final String FILE = "fuzz.yaml";

  @FuzzTest(maxDuration = "5m")
  void loadOneFile(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    ConfigLoader loader = new ConfigLoader(TestAdapters.registry());
    try {
      loader.loadTexts(List.of(new ConfigText(FILE, text)));
    } catch (ConfigException e) {
      assertThat(e.errors()).isNotEmpty();
      for (ConfigError error : e.errors()) {
        assertThat(error.source().file()).isEqualTo(FILE);
        assertThat(error.source().line()).isNotNegative();
        assertThat(error.message()).isNotBlank();
      }
    }
  }
}
