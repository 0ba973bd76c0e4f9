package dev.offpath.benchmarks.load;

/**
 * The load policy grown to many rules, as generated policies look: the twenty-rule load policy
 * ({@code offpath-policy.yaml}) with its eighteen service/user deniers extended to {@code rules - 2}
 * (rule {@code denyN}: {@code destination.service.name == "svc-N" && request.headers["x-user"] ==
 * "blocked-N"}, a denier and a checknothing instance each), followed unchanged by its IP
 * blacklist, user-agent whitelist and per-user memquota. The first eighteen deniers are the
 * twenty-rule policy's own, so the load's requests get the same decisions from both.
 *
 * <p>The rules key on {@code destination.service.name} where {@code RuleCountBenchmark}'s key on
 * {@code destination.service.host}: the load's requests carry their service as that context
 * extension ({@link CheckTraffic}), as the twenty-rule policy reads it; either is an equality the
 * rule index files the rule under.
 */
final class RulePolicy {

  private RulePolicy() {}

  /** The load policy with {@code rules} rules besides its memquota rule ({@code rules >= 20}). */
  static String withRules(String twentyRulePolicy, int rules) {
    if (rules < 20) {
      throw new IllegalArgumentException("rules: " + rules + " (expected: >= 20)");
    }
    String marker = "apiVersion: config.istio.io/v1alpha2\nkind: handler\nmetadata: {name: ipblacklist";
    int at = twentyRulePolicy.indexOf(marker);
    if (at < 0 || !twentyRulePolicy.contains("metadata: {name: deny17, namespace: istio-system}")) {
      throw new IllegalArgumentException("not the twenty-rule load policy (no deny17 / ipblacklist)");
    }
    StringBuilder yaml = new StringBuilder(twentyRulePolicy.length() + rules * 520);
    yaml.append(twentyRulePolicy, 0, at);
    for (int i = 18; i < rules - 2; i++) {
      yaml.append(
          """
          apiVersion: config.istio.io/v1alpha2
          kind: handler
          metadata: {name: deny%1$d, namespace: istio-system}
          spec:
            compiledAdapter: denier
            params: {status: {code: 7, message: "blocked %1$d"}}
          ---
          apiVersion: config.istio.io/v1alpha2
          kind: instance
          metadata: {name: nothing%1$d, namespace: istio-system}
          spec: {compiledTemplate: checknothing}
          ---
          apiVersion: config.istio.io/v1alpha2
          kind: rule
          metadata: {name: deny%1$d, namespace: istio-system}
          spec:
            match: destination.service.name == "svc-%1$d" && request.headers["x-user"] == "blocked-%1$d"
            actions:
            - handler: deny%1$d.handler
              instances: [nothing%1$d.instance]
          ---
          """
              .formatted(i));
    }
    yaml.append(twentyRulePolicy, at, twentyRulePolicy.length());
    return yaml.toString();
  }
}
