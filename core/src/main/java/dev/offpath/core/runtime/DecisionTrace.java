package dev.offpath.core.runtime;

import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.config.RuleConfig;
import org.jspecify.annotations.Nullable;

/**
 * What {@link PolicyEngine} reports, step by step, while it decides: each rule's match result, each
 * instance built, each handler's answer or failure. {@link Explainer} records it for {@code offpath
 * explain}; the serving path passes {@link #NONE}, whose calls do nothing.
 *
 * <p>Called on the deciding thread, in evaluation order.
 */
interface DecisionTrace {

  /** A rule's match was evaluated; {@code error} is the evaluation error (then not matched). */
  void matched(RuleConfig rule, boolean matched, @Nullable String error);

  void built(RuleConfig rule, String handler, Instance instance);

  void checkAnswered(RuleConfig rule, String handler, String instance, CheckResult answer);

  void quotaAnswered(RuleConfig rule, String handler, String instance, QuotaResult answer);

  /** An instance could not be built, or its handler failed. */
  void failed(RuleConfig rule, String handler, String instance, String message);

  DecisionTrace NONE =
      new DecisionTrace() {
        @Override
        public void matched(RuleConfig rule, boolean matched, @Nullable String error) {}

        @Override
        public void built(RuleConfig rule, String handler, Instance instance) {}

        @Override
        public void checkAnswered(
            RuleConfig rule, String handler, String instance, CheckResult answer) {}

        @Override
        public void quotaAnswered(
            RuleConfig rule, String handler, String instance, QuotaResult answer) {}

        @Override
        public void failed(RuleConfig rule, String handler, String instance, String message) {}
      };
}
