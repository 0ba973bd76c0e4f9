package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.Params;
import java.io.StringReader;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.Node;

/** The plain Java values of YAML scalars, as handler params see them. */
class YamlNodesTest {

  private static Map<?, ?> toJava(String yaml) {
    Node node = new Yaml().compose(new StringReader(yaml));
    return (Map<?, ?>) YamlNodes.toJava(node, (key, line, firstLine) -> {});
  }

  @Test
  void integersThatFitAnIntAreIntegersAndLargerOnesLongs() {
    // A conditional expression here once promoted every Integer to a Long (found by Error Prone's
    // ConditionalExpressionNumericPromotion).
    Map<?, ?> values = toJava("small: 42\nnegative: -0x10\nlarge: 1099511627776\n");
    assertThat(values.get("small")).isEqualTo(Integer.valueOf(42));
    assertThat(values.get("negative")).isEqualTo(Integer.valueOf(-16));
    assertThat(values.get("large")).isEqualTo(Long.valueOf(1L << 40));
  }

  enum Severity {
    INFO,
    WARNING,
    ERROR
  }

  @Test
  void anEnumParamGivenByNumberFromYamlIsTheConstantOfThatIndex() throws AdapterConfigException {
    @SuppressWarnings("unchecked")
    Params params = Params.of((Map<String, ?>) toJava("severity: 2\n"));
    assertThat(params.enumValue("severity", Severity.class, Severity.INFO))
        .isEqualTo(Severity.ERROR);
  }
}
