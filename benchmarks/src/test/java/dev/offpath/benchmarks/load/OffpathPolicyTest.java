package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.benchmarks.Policies;
import dev.offpath.core.config.PolicyConfig;
import org.junit.jupiter.api.Test;

class OffpathPolicyTest {

  @Test
  void theLoadPolicyIsTheTwentyRulesPlusAMemquota() {
    String yaml = Servers.resource("offpath-policy.yaml");
    assertThat(yaml).contains(Policies.twentyRules());
    PolicyConfig config = Policies.load(yaml);
    assertThat(config.rules()).hasSize(21);
    assertThat(yaml).contains("compiledAdapter: memquota").contains("maxAmount: 1000000000000");
  }
}
