package dev.offpath.core.telemetry;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AsyncReportHandler;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.InstanceFields;
import dev.offpath.core.adapter.ReportHandler;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.Action;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.config.Variety;
import dev.offpath.core.expr.EvaluationException;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.runtime.PolicyEngine;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.time.Ticker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The report side of one config snapshot: the rules that dispatch report templates ({@code metric},
 * {@code logentry}), bound to the {@link ReportHandler}s of the snapshot's {@link PolicyEngine}.
 * {@link #dispatch} runs one batch of requests through it, as Mixer's Report did: for every bag,
 * every rule whose match holds builds its instances; the instances are grouped per (handler,
 * template) and each group goes to its handler in one call, after the whole batch.
 *
 * <p>Shared expressions are evaluated once per bag: Istio's four HTTP metrics carry the same 17
 * dimension expressions, so the plan numbers the distinct expressions (by text and type) and keeps a
 * per-bag memo of their values. Instances carry {@link InstanceFields}: one array per instance
 * against a layout shared by all instances of the same config, which handlers can read by
 * position. An instance whose field fails to evaluate (an absent attribute with
 * no {@code |} default) is not built; Mixer logged and skipped it, here it is counted ({@link
 * #dispatch} returns the count). A match that fails to evaluate counts as not matching ({@link
 * RuntimeMetrics#matchError}). Each handler call is one dispatch ({@link RuntimeMetrics#dispatched});
 * for an {@link AsyncReportHandler} (an out-of-process adapter) it is counted when the delivery
 * ends, an error when any instance was not delivered.
 *
 * <p>Immutable; {@link #dispatch} is called concurrently by the pipeline's workers and keeps its
 * state on the stack.
 */
public final class ReportPlan {

  private static final Logger log = LoggerFactory.getLogger(ReportPlan.class);

  /** A plan with nothing to dispatch (no config, or a config without report rules). */
  static final ReportPlan EMPTY =
      new ReportPlan(null, new Rule[0], new Target[0], new Expression[0], RuntimeMetrics.NOOP,
          Ticker.system());

  private static final Object UNSET = new Object();

  private final @Nullable PolicyEngine engine;
  private final Rule[] rules;
  private final Target[] targets;
  private final Expression[] expressions;
  private final RuntimeMetrics metrics;
  private final Ticker ticker;

  private ReportPlan(
      @Nullable PolicyEngine engine,
      Rule[] rules,
      Target[] targets,
      Expression[] expressions,
      RuntimeMetrics metrics,
      Ticker ticker) {
    this.engine = engine;
    this.rules = rules;
    this.targets = targets;
    this.expressions = expressions;
    this.metrics = metrics;
    this.ticker = ticker;
  }

  /**
   * Binds the report rules of {@code engine}'s config to its handlers. An action whose handler is
   * not a {@link ReportHandler} (a check adapter listed with a metric instance) is skipped with a
   * warning; the config loader already refused templates the adapter does not declare.
   */
  public static ReportPlan of(PolicyEngine engine, RuntimeMetrics metrics, Ticker ticker) {
    requireNonNull(engine, "engine");
    requireNonNull(metrics, "metrics");
    requireNonNull(ticker, "ticker");
    Map<String, Integer> expressionIds = new HashMap<>();
    List<Expression> expressions = new ArrayList<>();
    Map<String, Target> targets = new LinkedHashMap<>();
    List<Rule> rules = new ArrayList<>();
    for (RuleConfig rule : engine.config().rules()) {
      List<Bound> bound = new ArrayList<>();
      for (Action action : rule.actions()) {
        for (InstanceConfig instance : action.instances()) {
          if (instance.variety() != Variety.REPORT) {
            continue;
          }
          String handlerName = action.handler().name();
          Handler handler = engine.handler(handlerName);
          if (!(handler instanceof ReportHandler report)) {
            log.warn(
                "rule '{}': handler '{}' does not take report instances; '{}' not dispatched",
                rule.name(),
                handlerName,
                instance.name());
            continue;
          }
          String key = handlerName + "\u0000" + instance.template();
          Target target =
              targets.computeIfAbsent(
                  key,
                  k ->
                      new Target(
                          targets.size(),
                          report,
                          handlerName,
                          action.handler().adapter().name(),
                          instance.template()));
          bound.add(bind(instance, target.index, expressionIds, expressions));
        }
      }
      if (!bound.isEmpty()) {
        rules.add(new Rule(rule.name(), rule.match(), bound.toArray(Bound[]::new)));
      }
    }
    return new ReportPlan(
        engine,
        rules.toArray(Rule[]::new),
        targets.values().toArray(Target[]::new),
        expressions.toArray(Expression[]::new),
        metrics,
        ticker);
  }

  private static Bound bind(
      InstanceConfig instance,
      int target,
      Map<String, Integer> ids,
      List<Expression> expressions) {
    int n = instance.fields().size();
    String[] names = new String[n];
    int[] exprs = new int[n];
    int i = 0;
    for (Map.Entry<String, Expression> f : instance.fields().entrySet()) {
      Expression x = f.getValue();
      String key = x.type() + " " + x.text();
      Integer id = ids.get(key);
      if (id == null) {
        id = expressions.size();
        ids.put(key, id);
        expressions.add(x);
      }
      names[i] = f.getKey();
      exprs[i] = id;
      i++;
    }
    return new Bound(
        instance.name(), instance.template(), target, new InstanceFields.Layout(List.of(names)), exprs);
  }

  /** The engine this plan was built from; null for {@link #EMPTY}. */
  @Nullable PolicyEngine engine() {
    return engine;
  }

  /** Whether no rule dispatches a report template. */
  public boolean isEmpty() {
    return rules.length == 0;
  }

  /**
   * Builds the instances of {@code bags} and hands them to their handlers, one call per (handler,
   * template). A handler that throws is logged and counted as a failed dispatch; the other handlers
   * still get their instances.
   *
   * @return how many instances could not be built
   */
  public int dispatch(List<? extends Attributes> bags) {
    if (rules.length == 0 || bags.isEmpty()) {
      return 0;
    }
    @SuppressWarnings({"unchecked", "rawtypes"})
    List<Instance>[] out = new List[targets.length];
    Object[] memo = new Object[expressions.length];
    int failures = 0;
    for (Attributes bag : bags) {
      Arrays.fill(memo, UNSET);
      for (Rule rule : rules) {
        if (!matches(rule, bag)) {
          continue;
        }
        for (Bound b : rule.instances) {
          Instance instance = build(b, bag, memo);
          if (instance == null) {
            failures++;
            continue;
          }
          List<Instance> list = out[b.target];
          if (list == null) {
            list = new ArrayList<>(bags.size());
            out[b.target] = list;
          }
          list.add(instance);
        }
      }
    }
    for (int t = 0; t < targets.length; t++) {
      if (out[t] != null) {
        send(targets[t], out[t]);
      }
    }
    return failures;
  }

  private boolean matches(Rule rule, Attributes bag) {
    if (rule.match == null) {
      return true;
    }
    try {
      return rule.match.evaluateBoolean(bag);
    } catch (EvaluationException e) {
      metrics.matchError(rule.name);
      if (log.isDebugEnabled()) {
        log.debug("rule '{}': match failed: {}", rule.name, e.getMessage());
      }
      return false;
    }
  }

  private @Nullable Instance build(Bound b, Attributes bag, Object[] memo) {
    Object[] fields = new Object[b.expressions.length];
    for (int i = 0; i < fields.length; i++) {
      int id = b.expressions[i];
      Object value = memo[id];
      if (value == UNSET) {
        try {
          value = expressions[id].evaluate(bag);
        } catch (EvaluationException e) {
          value = e;
        }
        memo[id] = value;
      }
      if (value instanceof EvaluationException e) {
        if (log.isDebugEnabled()) {
          log.debug("instance '{}': {}: {}", b.name, b.layout.name(i), e.getMessage());
        }
        return null;
      }
      fields[i] = value;
    }
    return new Instance(b.name, b.template, new InstanceFields(b.layout, fields));
  }

  private void send(Target target, List<Instance> instances) {
    if (target.handler instanceof AsyncReportHandler async) {
      sendAsync(target, async, instances);
      return;
    }
    long start = ticker.nanoTime();
    boolean error = false;
    try {
      target.handler.report(instances);
    } catch (RuntimeException e) {
      error = true;
      log.warn(
          "handler '{}' failed on {} {} instance(s)",
          target.handlerName,
          instances.size(),
          target.template,
          e);
    } finally {
      metrics.dispatched(
          target.adapter, target.handlerName, target.template, error, ticker.nanoTime() - start);
    }
  }

  /**
   * A handler that delivers later (an out-of-process adapter): its dispatch is counted when the
   * delivery ends, an error when any instance was not delivered.
   */
  private void sendAsync(Target target, AsyncReportHandler async, List<Instance> instances) {
    long start = ticker.nanoTime();
    CompletableFuture<Boolean> delivery;
    try {
      delivery = async.reportAsync(instances);
    } catch (RuntimeException e) {
      log.warn(
          "handler '{}' failed on {} {} instance(s)",
          target.handlerName,
          instances.size(),
          target.template,
          e);
      delivery = CompletableFuture.completedFuture(false);
    }
    delivery.whenComplete(
        (delivered, e) ->
            metrics.dispatched(
                target.adapter,
                target.handlerName,
                target.template,
                e != null || !Boolean.TRUE.equals(delivered),
                ticker.nanoTime() - start));
  }

  private record Rule(String name, @Nullable Expression match, Bound[] instances) {}

  /** One instance of a rule: its fields' layout and the ids of their expressions, by position. */
  private record Bound(
      String name, String template, int target, InstanceFields.Layout layout, int[] expressions) {}

  /** A (handler, template) pair: the unit of one handler call per batch. */
  private record Target(
      int index, ReportHandler handler, String handlerName, String adapter, String template) {}
}
