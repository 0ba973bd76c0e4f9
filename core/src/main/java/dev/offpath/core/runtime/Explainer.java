package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.TrackingAttributes;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.expr.MatchExplainer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Decides on one request with an engine and records every step ({@code offpath explain}, README
 * "Operating Offpath"). The decision is the engine's own — the same two phases the server runs,
 * through {@link DecisionTrace} hooks — so an explanation can never disagree with a served decision
 * on the same config and adapter state. The precondition phase runs on a recording view of the
 * attributes, as the check cache's does, so the reads shown are exactly the record the cache would
 * key the decision by. For each rule that did not match, {@link MatchExplainer} names the
 * sub-expression that failed (evaluated apart, so it adds nothing to the reads).
 *
 * <p>Handlers are really called: a quota is spent as on a served request. Not thread-safe per call;
 * explain one request at a time per engine when the answers matter.
 */
public final class Explainer {

  private Explainer() {}

  public static Explanation explain(PolicyEngine engine, Attributes attributes) {
    requireNonNull(engine, "engine");
    requireNonNull(attributes, "attributes");
    Recorder recorder = new Recorder();
    ReferencedAttributes referenced = new ReferencedAttributes();
    Decision preconditions =
        engine.checkPreconditions(new TrackingAttributes(attributes, referenced), recorder);
    recorder.phase = "quota";
    Decision decision = engine.allocateQuotas(preconditions, attributes, recorder);

    List<Explanation.RuleStep> rules = new ArrayList<>();
    for (RuleConfig rule : engine.config().rules()) {
      Expression match = rule.match();
      Boolean matched = recorder.matched.get(rule.name());
      String error = recorder.matchErrors.get(rule.name());
      MatchExplainer.Failure whyNot = null;
      if (matched != null && !matched && match != null) {
        whyNot = MatchExplainer.explain(match, engine.config().manifest(), attributes);
        if (whyNot == null && error != null) {
          whyNot = new MatchExplainer.Failure(match.text(), error);
        }
      }
      rules.add(
          new Explanation.RuleStep(
              rule.name(),
              rule.dryRun(),
              match == null ? null : match.text(),
              matched != null && matched,
              whyNot,
              recorder.steps.getOrDefault(rule.name(), List.of())));
    }
    return new Explanation(decision, rules, AttributeReads.of(referenced), cache(preconditions));
  }

  /** What the check cache would do with the precondition answer (README "Check cache"). */
  private static String cache(Decision preconditions) {
    if (preconditions.error()) {
      return "not cached: the answer came from a failure";
    }
    if (preconditions.validUseCount() == 0 || !preconditions.validDuration().isPositive()) {
      return "not cached: validity " + preconditions.validDuration() + " / " + preconditions.validUseCount() + " uses";
    }
    return "cached for "
        + preconditions.validDuration()
        + ", "
        + (preconditions.validUseCount() < 0 ? "unlimited" : preconditions.validUseCount())
        + " uses";
  }

  /** Collects the trace of one decision. */
  private static final class Recorder implements DecisionTrace {
    final Map<String, Boolean> matched = new LinkedHashMap<>();
    final Map<String, String> matchErrors = new LinkedHashMap<>();
    final Map<String, List<Explanation.HandlerStep>> steps = new LinkedHashMap<>();
    final Map<String, Map<String, Object>> built = new LinkedHashMap<>();
    String phase = "check";

    @Override
    public void matched(RuleConfig rule, boolean result, @Nullable String error) {
      // The quota phase evaluates the match of quota rules again, on the same attributes.
      matched.putIfAbsent(rule.name(), result);
      if (error != null) {
        matchErrors.putIfAbsent(rule.name(), error);
      }
    }

    @Override
    public void built(RuleConfig rule, String handler, Instance instance) {
      built.put(rule.name() + "\u0000" + instance.name(), instance.fields());
    }

    @Override
    public void checkAnswered(RuleConfig rule, String handler, String instance, CheckResult answer) {
      add(
          rule,
          new Explanation.HandlerStep(
              phase,
              handler,
              instance,
              fields(rule, instance),
              answer.status(),
              answer.validDuration(),
              answer.validUseCount(),
              -1,
              null));
    }

    @Override
    public void quotaAnswered(RuleConfig rule, String handler, String instance, QuotaResult answer) {
      add(
          rule,
          new Explanation.HandlerStep(
              phase, handler, instance, fields(rule, instance), answer.status(), null, 0,
              answer.granted(), null));
    }

    @Override
    public void failed(RuleConfig rule, String handler, String instance, String message) {
      add(
          rule,
          new Explanation.HandlerStep(
              phase, handler, instance, fields(rule, instance), null, null, 0, -1, message));
    }

    private @Nullable Map<String, Object> fields(RuleConfig rule, String instance) {
      return built.remove(rule.name() + "\u0000" + instance);
    }

    private void add(RuleConfig rule, Explanation.HandlerStep step) {
      steps.computeIfAbsent(rule.name(), k -> new ArrayList<>()).add(step);
    }
  }
}
