package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AsyncCheckHandler;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.QuotaHandler;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.Action;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.runtime.ActionRunner.BoundRule;
import dev.offpath.core.runtime.ActionRunner.CheckAction;
import dev.offpath.core.runtime.ActionRunner.QuotaAction;
import dev.offpath.core.runtime.ActionRunner.Round;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The policy runtime for one config snapshot: rules in order, each with its match expression and its
 * actions bound to running handlers. {@link #check} evaluates every rule against a request's
 * attributes, builds the instances of the matching rules' actions, dispatches them to their handlers
 * and combines the answers as Mixer did (see {@link Decision}). A {@link RuleIndex} per phase skips
 * the rules whose match it knows to be false (same decisions, same attribute reads).
 *
 * <p>Two phases, as Mixer's Check had them: {@link #checkPreconditions} (check templates and header
 * operations; its answer depends only on the attributes it read and may be cached) and {@link
 * #allocateQuotas} (quota templates, run for every request whose preconditions passed, never
 * cached). {@link #check} runs both.
 *
 * <p>Report templates ({@code metric}, {@code logentry}, …) are not dispatched here; the telemetry
 * pipeline ({@code dev.offpath.core.telemetry}) dispatches them to this engine's {@link #handler}s.
 *
 * <p>Handlers: created when the engine is built. A handler whose name, adapter and parsed config equal
 * one of the previous engine's is taken over instead of re-created, so a reload that does not touch a
 * memquota handler keeps its counters. {@link #close()} closes the handlers this engine still owns.
 * The pieces: {@link EngineHandlers} builds and types the handlers, {@link ActionRunner} runs a
 * rule's match and actions, {@link Combiner} folds the answers into a decision.
 *
 * <p>Dry-run rules ({@link RuleConfig#dryRun()}, README "Operating Offpath"): matched and dispatched
 * as usual, but into a combiner of their own; a failure there becomes a {@link DryRunDenial} on the
 * decision instead of changing its status, and their header operations are not applied. Their
 * answers' validity still bounds the decision's, so a cached decision re-reports its dry-run
 * denials no longer than an enforcing denial would be cached. Their quota instances go to
 * <i>shadow</i> handlers: a second handler of the same adapter and params per handler they use,
 * created with {@link HandlerEnvironment#dryRun()}, so the would-be denials count the rule's own
 * traffic and no real token is spent. {@link DecisionTrace} is the hook {@code offpath explain}
 * uses; the serving path passes {@link DecisionTrace#NONE}.
 *
 * <p>Thread-safety: immutable after construction; {@link #check} is called concurrently from request
 * threads and never blocks (handlers must not block).
 */
public final class PolicyEngine implements AutoCloseable {

  private final long version;
  private final PolicyConfig config;
  private final RuntimeServices services;
  private final ActionRunner runner;
  private final List<BoundRule> rules;
  private final Map<String, OwnedHandler> handlers;
  private final Map<String, OwnedHandler> shadows;
  private final boolean hasQuotas;
  private final boolean hasAsyncChecks;
  private final RuleIndex preconditionIndex;
  private final RuleIndex quotaIndex;
  private final LongAdder acquired = new LongAdder();
  private final LongAdder released = new LongAdder();
  private final AtomicBoolean closed = new AtomicBoolean();

  private PolicyEngine(
      long version,
      PolicyConfig config,
      RuntimeServices services,
      Map<String, OwnedHandler> handlers,
      Map<String, OwnedHandler> shadows)
      throws ConfigException {
    this.version = version;
    this.config = config;
    this.services = services;
    this.runner = new ActionRunner(services);
    this.handlers = handlers;
    this.shadows = shadows;
    List<BoundRule> bound = new ArrayList<>(config.rules().size());
    for (RuleConfig rule : config.rules()) {
      List<CheckAction> checks = new ArrayList<>();
      List<QuotaAction> quotas = new ArrayList<>();
      for (Action action : rule.actions()) {
        OwnedHandler owned = handlers.get(action.handler().name());
        if (owned == null) {
          throw new IllegalStateException("handler not built: " + action.handler().name());
        }
        // A dry-run rule's quota goes to the handler's shadow (see the class comment).
        OwnedHandler shadow = shadows.get(action.handler().name());
        for (InstanceConfig instance : action.instances()) {
          switch (instance.variety()) {
            case CHECK -> checks.add(EngineHandlers.checkAction(owned, instance));
            case QUOTA -> {
              OwnedHandler quotaOwner = owned;
              if (rule.dryRun()) {
                if (shadow == null) {
                  throw new IllegalStateException("shadow not built: " + action.handler().name());
                }
                quotaOwner = shadow;
              }
              quotas.add(
                  new QuotaAction(
                      quotaOwner,
                      EngineHandlers.typed(quotaOwner, QuotaHandler.class, instance),
                      instance));
            }
            case REPORT -> {} // the telemetry pipeline's
          }
        }
      }
      bound.add(new BoundRule(rule, List.copyOf(checks), List.copyOf(quotas), new LongAdder()));
    }
    this.rules = List.copyOf(bound);
    this.hasQuotas = bound.stream().anyMatch(r -> !r.quotas().isEmpty());
    this.hasAsyncChecks =
        bound.stream().anyMatch(r -> r.checks().stream().anyMatch(c -> c.async() != null));
    this.preconditionIndex = index(bound, false);
    this.quotaIndex = index(bound, true);
  }

  /** The rule index of one phase: every rule, or the rules with quotas (see {@link RuleIndex}). */
  private static RuleIndex index(List<BoundRule> rules, boolean quotasOnly) {
    List<@Nullable Expression> matches = new ArrayList<>(rules.size());
    boolean[] included = new boolean[rules.size()];
    for (int i = 0; i < rules.size(); i++) {
      matches.add(rules.get(i).rule().match());
      included[i] = !quotasOnly || !rules.get(i).quotas().isEmpty();
    }
    return RuleIndex.of(matches, included);
  }

  /**
   * Builds the engine for {@code config}, creating its handlers or taking over equal ones from {@code
   * previous}. All or nothing: when a handler cannot be created, the handlers this call created are
   * closed again and {@code previous} keeps every handler it has, untouched; only a successful build
   * takes handlers over (and {@code previous} will then not close them).
   *
   * @throws ConfigException naming the handler that could not start, at its source line
   */
  public static PolicyEngine create(
      long version, PolicyConfig config, RuntimeServices services, @Nullable PolicyEngine previous)
      throws ConfigException {
    requireNonNull(config, "config");
    requireNonNull(services, "services");
    Map<String, OwnedHandler> handlers = new LinkedHashMap<>();
    Map<String, OwnedHandler> shadows = new LinkedHashMap<>();
    List<OwnedHandler> created = new ArrayList<>();
    List<OwnedHandler> takenOver = new ArrayList<>();
    PolicyEngine engine;
    try {
      EngineHandlers.build(
          config.handlers().values(),
          false,
          services,
          previous == null ? null : previous.handlers,
          handlers,
          created,
          takenOver);
      EngineHandlers.build(
          EngineHandlers.shadowed(config),
          true,
          services,
          previous == null ? null : previous.shadows,
          shadows,
          created,
          takenOver);
      engine = new PolicyEngine(version, config, services, handlers, shadows);
    } catch (ConfigException | RuntimeException e) {
      for (OwnedHandler h : created) {
        h.closeQuietly();
      }
      throw e;
    }
    for (OwnedHandler h : takenOver) {
      h.transferred.set(true);
    }
    return engine;
  }

  public long version() {
    return version;
  }

  public PolicyConfig config() {
    return config;
  }

  /** The running handlers, by fully qualified name, in config order. */
  public Map<String, Handler> handlers() {
    Map<String, Handler> out = new LinkedHashMap<>();
    handlers.forEach((name, owned) -> out.put(name, owned.handler));
    return out;
  }

  /**
   * The running handler named {@code name} (fully qualified), or null. The telemetry pipeline
   * dispatches report templates to the handlers this engine owns.
   */
  public @Nullable Handler handler(String name) {
    OwnedHandler h = handlers.get(requireNonNull(name, "name"));
    return h == null ? null : h.handler;
  }

  /**
   * How many requests each rule matched, by rule name, since this engine was built: evaluated ones
   * and, through {@link #recordHits}, those answered from the check cache.
   */
  public Map<String, Long> ruleHits() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (BoundRule r : rules) {
      out.put(r.rule().name(), r.hits().sum());
    }
    return out;
  }

  /**
   * Decides on one request: preconditions, then quotas when the preconditions passed. Never throws
   * for request data; failures become error decisions. Pending only while out-of-process check
   * adapters answer (see {@link #checkPreconditionsAsync}).
   */
  public Outcome decide(Attributes attributes) {
    Outcome preconditions = checkPreconditionsAsync(attributes, DecisionTrace.NONE);
    Decision now = preconditions.now();
    if (now != null) {
      return allocateQuotas(now, attributes);
    }
    return preconditions.map(p -> allocateQuotas(p, attributes));
  }

  /** {@link #decide}, waiting for out-of-process adapters: for tools and tests. */
  public Decision check(Attributes attributes) {
    return decide(attributes).join();
  }

  /**
   * The precondition phase: check templates and header operations of the matching rules. The answer
   * depends only on the attributes read, so it may be cached by them ({@code usedQuota} is false).
   * Waits for out-of-process check adapters: for tools and tests; the serving path uses {@link
   * #checkPreconditionsAsync}.
   */
  public Decision checkPreconditions(Attributes attributes) {
    return checkPreconditionsAsync(attributes, DecisionTrace.NONE).join();
  }

  /** {@link #checkPreconditions(Attributes)}, reporting each step to {@code trace}. */
  Decision checkPreconditions(Attributes attributes, DecisionTrace trace) {
    return checkPreconditionsAsync(attributes, trace).join();
  }

  /**
   * The precondition phase without waiting: the {@link Decision} itself when every check handler it
   * dispatched to runs in process, else a {@link PendingDecision} that completes once each
   * out-of-process adapter it called has answered (each completes within its handler's timeout).
   *
   * <p>How: rules are evaluated once in order, in-process handlers answer at once, and each call to
   * an {@link AsyncCheckHandler} is started and kept in a {@link Round}. When none was started, that
   * pass's decision is the answer (no allocation beyond the round for engines that have adapters;
   * none at all for engines that have none). Otherwise, when the last call has completed, the
   * rules are evaluated again on the same attributes — the same rules match and the same actions
   * run, in the same order, since attributes are immutable and nothing a handler answers decides
   * what matches — and the calls' answers are folded in at their places, so combining (first
   * failure wins, minimum validity, dry-run denials) is exactly that of in-process handlers. The
   * second pass counts no rule hit, dispatch or match error again.
   */
  public Outcome checkPreconditionsAsync(Attributes attributes) {
    return checkPreconditionsAsync(attributes, DecisionTrace.NONE);
  }

  /** {@link #checkPreconditionsAsync(Attributes)}, reporting each step to {@code trace}. */
  Outcome checkPreconditionsAsync(Attributes attributes, DecisionTrace trace) {
    requireNonNull(attributes, "attributes");
    if (!hasAsyncChecks) {
      return evaluate(attributes, trace, null);
    }
    Round round = new Round();
    Decision first = evaluate(attributes, DecisionTrace.NONE, round);
    if (round.calls.isEmpty()) {
      return trace == DecisionTrace.NONE ? first : replay(attributes, trace, round);
    }
    CompletableFuture<?>[] calls = round.calls.toArray(CompletableFuture<?>[]::new);
    return new PendingDecision(
        CompletableFuture.allOf(calls).handle((ignored, e) -> replay(attributes, trace, round)));
  }

  /** The second pass of a decision that called out-of-process adapters, every call completed. */
  private Decision replay(Attributes attributes, DecisionTrace trace, Round round) {
    round.replaying = true;
    round.next = 0;
    return evaluate(attributes, trace, round);
  }

  /**
   * One pass over the rules (see {@link #checkPreconditionsAsync}); {@code round} is null for an
   * engine without out-of-process check adapters.
   */
  private Decision evaluate(Attributes attributes, DecisionTrace trace, @Nullable Round round) {
    boolean replaying = round != null && round.replaying;
    Combiner result = new Combiner(services.failOpen());
    List<HeaderMutation> requestMutations = List.of();
    List<HeaderMutation> responseMutations = List.of();
    List<DryRunDenial> dryRun = List.of();
    int[] matched = null;
    int matchedCount = 0;
    RuleIndex.Cursor candidates = preconditionIndex.cursor(attributes);
    for (int position = candidates.next(); position >= 0; position = candidates.next()) {
      BoundRule rule = rules.get(position);
      if (!runner.matches(rule.rule(), attributes, result, trace, replaying)) {
        continue;
      }
      if (!replaying) {
        rule.hits().increment();
      }
      if (matched == null) {
        matched = new int[Math.min(rules.size(), 8)];
      } else if (matchedCount == matched.length) {
        matched = Arrays.copyOf(matched, Math.min(rules.size(), matchedCount * 2));
      }
      matched[matchedCount++] = position;
      if (rule.rule().dryRun()) {
        if (!rule.checks().isEmpty()) {
          Combiner own = new Combiner(services.failOpen());
          for (CheckAction action : rule.checks()) {
            runner.check(rule.rule(), action, attributes, own, trace, round);
          }
          dryRun = result.absorbDryRun(own, rule.rule(), dryRun, false);
        }
        continue;
      }
      for (CheckAction action : rule.checks()) {
        runner.check(rule.rule(), action, attributes, result, trace, round);
      }
      if (!rule.rule().requestHeaderOperations().isEmpty()) {
        requestMutations =
            runner.append(
                requestMutations,
                rule.rule(),
                rule.rule().requestHeaderOperations(),
                attributes,
                replaying);
      }
      if (!rule.rule().responseHeaderOperations().isEmpty()) {
        responseMutations =
            runner.append(
                responseMutations,
                rule.rule(),
                rule.rule().responseHeaderOperations(),
                attributes,
                replaying);
      }
    }
    return result.toDecision(
        requestMutations,
        responseMutations,
        dryRun,
        matched == null ? MatchedRules.NONE : MatchedRules.of(matched, matchedCount));
  }

  /**
   * Counts a hit for every rule {@code preconditions} matched: for a precondition answer served from
   * the check cache, whose rules did not run. {@code preconditions} must come from an engine of this
   * config version.
   */
  public void recordHits(Decision preconditions) {
    MatchedRules matched = preconditions.matchedRules();
    for (int i = 0; i < matched.size(); i++) {
      rules.get(matched.position(i)).hits().increment();
    }
  }

  /**
   * The names of the rules in {@code matched}, which should come from this engine's config version
   * (positions beyond this config's rules, from another version, are skipped).
   */
  public List<String> ruleNames(MatchedRules matched) {
    List<String> names = new ArrayList<>(matched.size());
    for (int i = 0; i < matched.size(); i++) {
      int position = matched.position(i);
      if (position < rules.size()) {
        names.add(rules.get(position).rule().name());
      }
    }
    return names;
  }

  /**
   * The quota phase, for a request whose {@code preconditions} came from {@link
   * #checkPreconditions} (possibly from a cache): allocates one unit of every quota instance of the
   * matching rules. A denied precondition is returned as is (no quota is spent on a denied request,
   * as in Mixer); a quota denial replaces an allowed precondition. Dry-run quota rules allocate from
   * their shadow handlers and add their would-be denials to the decision's.
   */
  public Decision allocateQuotas(Decision preconditions, Attributes attributes) {
    return allocateQuotas(preconditions, attributes, DecisionTrace.NONE);
  }

  /** {@link #allocateQuotas(Decision, Attributes)}, reporting each step to {@code trace}. */
  Decision allocateQuotas(Decision preconditions, Attributes attributes, DecisionTrace trace) {
    requireNonNull(preconditions, "preconditions");
    requireNonNull(attributes, "attributes");
    if (!hasQuotas || !preconditions.allowed()) {
      return preconditions;
    }
    Combiner result = new Combiner(services.failOpen());
    List<DryRunDenial> dryRun = preconditions.dryRunDenials();
    RuleIndex.Cursor candidates = quotaIndex.cursor(attributes);
    for (int i = candidates.next(); i >= 0; i = candidates.next()) {
      BoundRule rule = rules.get(i);
      if (rule.quotas().isEmpty() || !runner.matches(rule.rule(), attributes, result, trace, false)) {
        continue;
      }
      Combiner into = rule.rule().dryRun() ? new Combiner(services.failOpen()) : result;
      for (QuotaAction action : rule.quotas()) {
        runner.allocate(rule.rule(), action, attributes, into, trace);
      }
      if (rule.rule().dryRun()) {
        dryRun = result.absorbDryRun(into, rule.rule(), dryRun, true);
      }
    }
    if (!result.usedQuota && !result.error && dryRun == preconditions.dryRunDenials()) {
      return preconditions;
    }
    Decision quota = result.toDecision(List.of(), List.of(), dryRun, preconditions.matchedRules());
    if (!quota.allowed()) {
      return quota;
    }
    return new Decision(
        preconditions.status(),
        preconditions.validDuration(),
        preconditions.validUseCount(),
        null,
        null,
        preconditions.error() || quota.error(),
        preconditions.usedQuota() || result.usedQuota || result.error,
        preconditions.requestHeaderMutations(),
        preconditions.responseHeaderMutations(),
        dryRun,
        preconditions.matchedRules());
  }

  /** One more unit of work holds this engine; see {@link PolicyStore#acquire()}. */
  void retain() {
    acquired.increment();
  }

  /** Ends a unit of work begun by {@link EngineSource#acquire()}; every acquire is released once. */
  public void release() {
    released.increment();
  }

  /**
   * Whether no unit of work holds this engine. Releases are read before acquires: both only grow and
   * each release follows its acquire, so equal sums mean that, at the moment the releases were
   * read, every acquire had been released. Meaningful once the engine is no longer live (no new
   * holder can then begin: {@link PolicyStore#acquire()} backs out of an engine that was swapped).
   */
  boolean idle() {
    long r = released.sum();
    return acquired.sum() == r;
  }

  /**
   * Closes the handlers this engine still owns (those not taken over by a successor), once. The
   * store calls it when the engine is retired and {@link #idle()}.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Map<String, OwnedHandler> owned : List.of(handlers, shadows)) {
      for (OwnedHandler h : owned.values()) {
        if (!h.transferred.get()) {
          h.closeQuietly();
        }
      }
    }
  }
}
