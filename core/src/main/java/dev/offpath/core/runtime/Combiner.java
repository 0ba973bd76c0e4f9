package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.config.RuleConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Folds handler answers into one decision, in dispatch order, as Mixer combined them: the first
 * failure decides the status (later failures' messages are appended), the validity is the minimum
 * of every check answer's (a negative use count is unlimited), and a handler failure is an error
 * that denies with INTERNAL unless the runtime fails open. A dry-run rule folds into a combiner of
 * its own, absorbed as a {@link DryRunDenial}. Confined to one decision's thread.
 */
final class Combiner {
  final boolean failOpen;
  @Nullable PolicyStatus firstFailure;
  @Nullable String rule;
  @Nullable String handler;
  @Nullable StringBuilder messages;
  Duration validDuration = Decision.DEFAULT_VALID_DURATION;
  int validUseCount = Decision.DEFAULT_VALID_USE_COUNT;
  boolean anyCheckAnswered;
  boolean error;
  boolean usedQuota;

  Combiner(boolean failOpen) {
    this.failOpen = failOpen;
  }

  void check(RuleConfig r, String handlerName, CheckResult res) {
    if (!anyCheckAnswered) {
      anyCheckAnswered = true;
      validDuration = res.validDuration();
      validUseCount = res.validUseCount();
    } else {
      if (res.validDuration().compareTo(validDuration) < 0) {
        validDuration = res.validDuration();
      }
      validUseCount = minUseCount(validUseCount, res.validUseCount());
    }
    if (!res.status().isOk()) {
      fail(r, handlerName, res.status());
    }
  }

  /**
   * Folds in {@code dryRun}'s answers (one dry-run rule's): their validity and error flag, never
   * their status, which instead becomes a {@link DryRunDenial} appended to {@code denials}.
   */
  List<DryRunDenial> absorbDryRun(
      Combiner dryRun, RuleConfig rule, List<DryRunDenial> denials, boolean quota) {
    if (dryRun.anyCheckAnswered) {
      if (!anyCheckAnswered) {
        anyCheckAnswered = true;
        validDuration = dryRun.validDuration;
        validUseCount = dryRun.validUseCount;
      } else {
        if (dryRun.validDuration.compareTo(validDuration) < 0) {
          validDuration = dryRun.validDuration;
        }
        validUseCount = minUseCount(validUseCount, dryRun.validUseCount);
      }
    }
    error |= dryRun.error;
    if (dryRun.firstFailure == null) {
      return denials;
    }
    List<DryRunDenial> out = new ArrayList<>(denials);
    out.add(
        new DryRunDenial(
            rule.name(),
            requireNonNull(dryRun.handler, "handler"),
            PolicyStatus.of(dryRun.firstFailure.code(), String.valueOf(dryRun.messages)),
            quota));
    return out;
  }

  /** Negative counts mean unlimited, so they lose to any non-negative count. */
  private static int minUseCount(int a, int b) {
    if (a < 0) {
      return b;
    }
    if (b < 0) {
      return a;
    }
    return Math.min(a, b);
  }

  void quota(RuleConfig r, String handlerName, String instance, QuotaResult q) {
    usedQuota = true;
    if (!q.status().isOk()) {
      fail(r, handlerName, q.status());
    } else if (q.granted() < 1) {
      fail(
          r,
          handlerName,
          PolicyStatus.of(StatusCode.RESOURCE_EXHAUSTED, "quota '" + instance + "' exhausted"));
    }
  }

  /** A failure, not a verdict: denies with INTERNAL unless failing open, where it is ignored. */
  void error(RuleConfig r, String handlerName, String message) {
    error = true;
    if (!failOpen) {
      fail(r, handlerName, PolicyStatus.of(StatusCode.INTERNAL, message));
    }
  }

  private void fail(RuleConfig r, String handlerName, PolicyStatus status) {
    if (firstFailure == null) {
      firstFailure = status;
      rule = r.name();
      handler = handlerName;
      messages = new StringBuilder();
    } else {
      Objects.requireNonNull(messages).append(", ");
    }
    Objects.requireNonNull(messages).append(handlerName).append(':').append(status.message());
  }

  Decision toDecision(
      List<HeaderMutation> request,
      List<HeaderMutation> response,
      List<DryRunDenial> dryRun,
      MatchedRules matched) {
    if (firstFailure == null) {
      return new Decision(
          PolicyStatus.OK, validDuration, validUseCount, null, null, error, usedQuota, request,
          response, dryRun, matched);
    }
    return new Decision(
        PolicyStatus.of(firstFailure.code(), String.valueOf(messages)),
        validDuration,
        validUseCount,
        rule,
        handler,
        error,
        usedQuota,
        List.of(),
        List.of(),
        dryRun,
        matched);
  }
}
