package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.expr.MatchExplainer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A decision with its trace, as {@code offpath explain} prints it (see {@link Explainer}).
 *
 * @param decision the decision, both phases
 * @param rules every rule in config order, with what happened to it
 * @param reads the attributes the precondition phase read (the check cache's record of the decision;
 *     see {@link AttributeReads})
 * @param cache whether and how long the check cache would keep the precondition answer
 */
public record Explanation(
    Decision decision, List<RuleStep> rules, Map<String, @Nullable Object> reads, String cache) {

  public Explanation {
    requireNonNull(decision, "decision");
    rules = List.copyOf(rules);
    requireNonNull(reads, "reads");
    requireNonNull(cache, "cache");
  }

  /**
   * One rule: whether its match held, and if not the sub-expression to blame; the handlers it
   * dispatched to.
   *
   * @param match the match expression's text, null when the rule has none (always matches)
   * @param whyNot for a rule that did not match, the failing sub-expression (and its evaluation
   *     error, if any)
   */
  public record RuleStep(
      String name,
      boolean dryRun,
      @Nullable String match,
      boolean matched,
      MatchExplainer.@Nullable Failure whyNot,
      List<HandlerStep> handlers) {

    public RuleStep {
      requireNonNull(name, "name");
      handlers = List.copyOf(handlers);
    }
  }

  /**
   * One dispatch: the instance built (its fields) and the handler's answer, or the failure.
   *
   * @param phase {@code check} or {@code quota}
   * @param fields the instance's evaluated fields, null when it could not be built
   * @param status the handler's status, null when it failed
   * @param validDuration a check answer's validity, null otherwise
   * @param validUseCount a check answer's use count (0 otherwise)
   * @param granted a quota answer's units (-1 otherwise)
   * @param failure why the instance could not be built or the handler failed
   */
  public record HandlerStep(
      String phase,
      String handler,
      String instance,
      @Nullable Map<String, Object> fields,
      @Nullable PolicyStatus status,
      @Nullable Duration validDuration,
      int validUseCount,
      long granted,
      @Nullable String failure) {

    public HandlerStep {
      requireNonNull(phase, "phase");
      requireNonNull(handler, "handler");
      requireNonNull(instance, "instance");
    }
  }
}
