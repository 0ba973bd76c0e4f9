package dev.offpath.core.expr;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.core.testing.MixerReference;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Every rule match and instance expression in Istio's default Mixer configs and bookinfo samples
 * compiles against the built-in vocabulary (rule matches to BOOL).
 */
class IstioConfigExpressionsTest {

  private static final List<String> FILES =
      List.of(
          "istio-1.0-mixer-config.yaml",
          "istio-1.1-mixer-config.yaml",
          "samples/mixer-rule-deny-ip.yaml",
          "samples/mixer-rule-deny-label.yaml",
          "samples/mixer-rule-ingress-denial.yaml",
          "samples/mixer-rule-productpage-ratelimit.yaml",
          "samples/mixer-rule-ratings-ratelimit.yaml");

  private record Case(String where, String expr, boolean isMatch) {}

  @TestFactory
  Stream<DynamicTest> expressionsCompile() throws IOException {
    List<Case> cases = new ArrayList<>();
    for (String file : FILES) {
      collect(MixerReference.file(file), file, cases);
    }
    assertThat(cases).hasSizeGreaterThan(100);
    return cases.stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.where() + ": " + c.expr(),
                    () -> {
                      Expression e = ExpressionCompiler.compile(c.expr(), Vocabulary.builtin());
                      if (c.isMatch()) {
                        assertThat(e.type()).isEqualTo(ValueType.BOOL);
                      }
                    }));
  }

  @SuppressWarnings("unchecked")
  private static void collect(Path path, String file, List<Case> out) throws IOException {
    try (Reader r = Files.newBufferedReader(path)) {
      for (Object o : new Yaml(new LoaderOptions()).loadAll(r)) {
        if (!(o instanceof Map<?, ?> doc) || !(doc.get("spec") instanceof Map<?, ?> spec)) {
          continue;
        }
        String kind = String.valueOf(doc.get("kind"));
        String where = file + " " + kind + "/" + ((Map<String, Object>) doc.get("metadata")).get("name");
        switch (kind) {
          case "rule" -> {
            if (spec.get("match") instanceof String m && !m.isBlank()) {
              out.add(new Case(where + " match", m, true));
            }
          }
          case "metric", "logentry", "quota", "listentry", "checknothing" ->
              leaves(where, (Map<String, Object>) spec, out);
          case "instance" -> leaves(where, (Map<String, Object>) spec.get("params"), out);
          default -> {}
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static void leaves(String where, Map<String, Object> params, List<Case> out) {
    params.forEach(
        (key, value) -> {
          if (value instanceof Map<?, ?> m) {
            leaves(where + " " + key, (Map<String, Object>) m, out);
          } else if (value != null) {
            out.add(new Case(where + " " + key, String.valueOf(value), false));
          }
        });
  }
}
