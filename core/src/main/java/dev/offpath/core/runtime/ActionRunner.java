package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AsyncCheckHandler;
import dev.offpath.core.adapter.AttributeCheckHandler;
import dev.offpath.core.adapter.CheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.QuotaHandler;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.attribute.AttributeValues;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.HeaderOperation;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.expr.EvaluationException;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.log.RateLimitedLog;
import dev.offpath.core.trace.TraceSpan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of one rule inside a decision, for {@link PolicyEngine}: evaluating its match, building
 * its instances, dispatching them to their handlers (in process at once; out of process through a
 * {@link Round}), folding the answers into a {@link Combiner}, and counting dispatches and match
 * errors in the runtime's metrics. A second pass over a {@link Round} ({@code replaying}) folds in
 * the adapters' answers and counts nothing again.
 *
 * <p>Failures: an evaluation error (a missing attribute is the common case) makes a match false or
 * an instance fail, as in Mixer; anything else thrown is a bug that fails the decision as an error
 * (INTERNAL, or ignored when failing open), logged once per kind per 10 s.
 *
 * <p>Thread-safety: stateless beyond the shared services; called concurrently.
 */
final class ActionRunner {

  private static final Logger log = LoggerFactory.getLogger(PolicyEngine.class);

  /** Failures on the request path log once per kind per 10 s with a count, not per request. */
  private static final RateLimitedLog handlerErrors = RateLimitedLog.of(log);

  /**
   * Every check asks one unit, without a deduplication id: ids only help a client that retries the
   * same request (Mixer's proxies did), and the runtime never does, so a unique id per check would
   * only fill the adapters' dedup tables.
   */
  private static final QuotaArgs ONE_UNIT = new QuotaArgs("", 1, false);

  private final RuntimeServices services;

  ActionRunner(RuntimeServices services) {
    this.services = requireNonNull(services, "services");
  }

  /**
   * Whether the rule's match holds. An evaluation error (a missing attribute is the common case) is
   * logged and the rule does not match, as in Mixer. Anything else thrown is a bug: it fails the
   * decision as an error (INTERNAL, or ignored when failing open) rather than quietly skipping what
   * may be a deny rule.
   */
  boolean matches(
      RuleConfig rule,
      Attributes attributes,
      Combiner result,
      DecisionTrace trace,
      boolean replaying) {
    Expression match = rule.match();
    if (match == null) {
      trace.matched(rule, true, null);
      return true;
    }
    try {
      boolean matched = match.evaluateBoolean(attributes);
      trace.matched(rule, matched, null);
      return matched;
    } catch (EvaluationException e) {
      trace.matched(rule, false, e.getMessage());
      if (replaying) {
        return false;
      }
      services.metrics().matchError(rule.name());
      if (log.isDebugEnabled()) {
        log.debug("rule '{}': match failed: {}", rule.name(), e.getMessage());
      }
      return false;
    } catch (RuntimeException e) {
      if (!replaying) {
        services.metrics().matchError(rule.name());
        handlerErrors.error("match-" + rule.name(), "rule '{}': match threw", rule.name(), e);
      }
      trace.matched(rule, false, "match threw " + e);
      result.error(rule, "", "rule '" + rule.name() + "' failed");
      return false;
    }
  }

  void check(
      RuleConfig rule,
      CheckAction action,
      Attributes attributes,
      Combiner result,
      DecisionTrace trace,
      @Nullable Round round) {
    AsyncCheckHandler async = action.async;
    if (async != null) {
      remoteCheck(rule, action, async, attributes, result, trace, requireNonNull(round, "round"));
      return;
    }
    CheckHandler local = requireNonNull(action.handler, "handler");
    boolean replaying = round != null && round.replaying;
    long start = services.ticker().nanoTime();
    boolean error = true;
    String handler = action.owned.config.name();
    try {
      Instance instance = build(action.instance, attributes);
      trace.built(rule, handler, instance);
      CheckResult answer =
          local instanceof AttributeCheckHandler reading
              ? reading.check(instance, attributes)
              : local.check(instance);
      trace.checkAnswered(rule, handler, instance.name(), answer);
      result.check(rule, handler, answer);
      error = false;
    } catch (EvaluationException e) {
      String message = "instance '" + action.instance.name() + "': " + e.getMessage();
      trace.failed(rule, handler, action.instance.name(), message);
      result.error(rule, handler, message);
    } catch (RuntimeException e) {
      trace.failed(rule, handler, action.instance.name(), "handler failed: " + e);
      handlerFailed(rule, action.owned, action.instance, e, result, replaying);
    } finally {
      if (!replaying) {
        dispatched(action.owned, action.instance, error, start);
      }
    }
  }

  /**
   * A check instance for an out-of-process adapter: the first pass starts the call and keeps it in
   * {@code round} (its dispatch is counted when it completes); the second folds its answer in.
   */
  private void remoteCheck(
      RuleConfig rule,
      CheckAction action,
      AsyncCheckHandler async,
      Attributes attributes,
      Combiner result,
      DecisionTrace trace,
      Round round) {
    String handler = action.owned.config.name();
    if (!round.replaying) {
      long start = services.ticker().nanoTime();
      CompletableFuture<CheckResult> call;
      try {
        call = async.checkAsync(build(action.instance, attributes));
      } catch (EvaluationException | RuntimeException e) {
        call = CompletableFuture.failedFuture(e);
      }
      round.calls.add(call);
      // The call's span is started here, under the Check's span, and ended on the thread that
      // completes the call (README "Tracing and profiling").
      TraceSpan span =
          services
              .tracer()
              .start("offpath.adapter.call")
              .attribute("offpath.handler", handler)
              .attribute("offpath.adapter", action.owned.config.adapter().name())
              .attribute("offpath.template", action.instance.template());
      call.whenComplete(
          (answer, e) -> {
            boolean failed =
                e != null
                    ? !(unwrap(e) instanceof EvaluationException)
                    : answer != null && async.failed(answer);
            dispatched(action.owned, action.instance, failed, start);
            if (answer != null) {
              span.attribute("offpath.status", answer.status().code().name());
            } else if (failed) {
              span.error("handler failed");
            }
            span.end();
          });
      return;
    }
    CompletableFuture<CheckResult> call = round.calls.get(round.next++);
    try {
      CheckResult answer = call.join();
      if (trace != DecisionTrace.NONE) {
        trace.built(rule, handler, build(action.instance, attributes));
      }
      trace.checkAnswered(rule, handler, action.instance.name(), answer);
      result.check(rule, handler, answer);
    } catch (EvaluationException e) {
      // Rebuilding the instance for the trace: it was built from the same attributes for the call.
      String message = "instance '" + action.instance.name() + "': " + e.getMessage();
      trace.failed(rule, handler, action.instance.name(), message);
      result.error(rule, handler, message);
    } catch (CompletionException e) {
      Throwable cause = unwrap(e);
      if (cause instanceof EvaluationException ee) {
        String message = "instance '" + action.instance.name() + "': " + ee.getMessage();
        trace.failed(rule, handler, action.instance.name(), message);
        result.error(rule, handler, message);
      } else {
        trace.failed(rule, handler, action.instance.name(), "handler failed: " + cause);
        handlerFailed(
            rule,
            action.owned,
            action.instance,
            cause instanceof RuntimeException re ? re : new CompletionException(cause),
            result,
            false);
      }
    }
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  void allocate(
      RuleConfig rule, QuotaAction action, Attributes attributes, Combiner result, DecisionTrace trace) {
    long start = services.ticker().nanoTime();
    boolean error = true;
    String handler = action.owned.config.name();
    try {
      Instance instance = build(action.instance, attributes);
      trace.built(rule, handler, instance);
      QuotaResult q = action.handler.allocate(instance, ONE_UNIT);
      trace.quotaAnswered(rule, handler, instance.name(), q);
      result.quota(rule, handler, instance.name(), q);
      error = false;
    } catch (EvaluationException e) {
      String message = "instance '" + action.instance.name() + "': " + e.getMessage();
      trace.failed(rule, handler, action.instance.name(), message);
      result.error(rule, handler, message);
    } catch (RuntimeException e) {
      trace.failed(rule, handler, action.instance.name(), "handler failed: " + e);
      handlerFailed(rule, action.owned, action.instance, e, result, false);
    } finally {
      dispatched(action.owned, action.instance, error, start);
    }
  }

  private static void handlerFailed(
      RuleConfig rule,
      OwnedHandler owned,
      InstanceConfig instance,
      RuntimeException e,
      Combiner result,
      boolean replaying) {
    if (!replaying) {
      handlerErrors.warn(
          "handler-" + owned.config.name(),
          "handler '{}' failed on instance '{}'",
          owned.config.name(),
          instance.name(),
          e);
    }
    result.error(rule, owned.config.name(), "handler '" + owned.config.name() + "' failed");
  }

  private void dispatched(OwnedHandler owned, InstanceConfig instance, boolean error, long start) {
    services
        .metrics()
        .dispatched(
            owned.config.adapter().name(),
            owned.config.name(),
            instance.template(),
            error,
            services.ticker().nanoTime() - start);
  }

  static Instance build(InstanceConfig config, Attributes attributes)
      throws EvaluationException {
    if (config.fields().isEmpty()) {
      return new Instance(config.name(), config.template(), Map.of());
    }
    Map<String, Object> fields = new HashMap<>();
    for (Map.Entry<String, Expression> f : config.fields().entrySet()) {
      fields.put(f.getKey(), f.getValue().evaluate(attributes));
    }
    return new Instance(config.name(), config.template(), fields);
  }

  List<HeaderMutation> append(
      List<HeaderMutation> to,
      RuleConfig rule,
      List<HeaderOperation> ops,
      Attributes attributes,
      boolean replaying) {
    List<HeaderMutation> out = new ArrayList<>(to);
    for (HeaderOperation op : ops) {
      if (op.operation() == HeaderOperation.Operation.REMOVE) {
        out.add(new HeaderMutation(op.name(), "", op.operation()));
        continue;
      }
      for (Expression value : op.values()) {
        try {
          out.add(
              new HeaderMutation(
                  op.name(), AttributeValues.toText(value.evaluate(attributes)), op.operation()));
        } catch (EvaluationException e) {
          if (replaying) {
            continue;
          }
          services.metrics().matchError(rule.name());
          if (log.isDebugEnabled()) {
            log.debug("rule '{}': header '{}': {}", rule.name(), op.name(), e.getMessage());
          }
        }
      }
    }
    return out;
  }

  /** A rule with its check and quota actions bound to running handlers, and its hit counter. */
  record BoundRule(
      RuleConfig rule, List<CheckAction> checks, List<QuotaAction> quotas, LongAdder hits) {}

  /**
   * A check instance bound to its handler, typed once at build: {@code handler} for an in-process
   * one, {@code async} for an out-of-process adapter; exactly one is set.
   */
  record CheckAction(
      OwnedHandler owned,
      @Nullable CheckHandler handler,
      @Nullable AsyncCheckHandler async,
      InstanceConfig instance) {}

  /**
   * The out-of-process calls of one decision, in dispatch order (see {@link
   * PolicyEngine#checkPreconditionsAsync}). Confined: the first pass fills it on the request thread; the second
   * reads it on the thread that completed the last call, after every call completed (the futures'
   * completion orders the two).
   */
  static final class Round {
    final List<CompletableFuture<CheckResult>> calls = new ArrayList<>(2);
    boolean replaying;
    int next;
  }

  /** A quota instance bound to its handler, typed once at build. */
  record QuotaAction(OwnedHandler owned, QuotaHandler handler, InstanceConfig instance) {}
}
