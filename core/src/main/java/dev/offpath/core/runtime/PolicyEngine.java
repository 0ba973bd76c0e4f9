package dev.offpath.core.runtime;

import dev.offpath.core.log.RateLimitedLog;
import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.AsyncCheckHandler;
import dev.offpath.core.adapter.AttributeCheckHandler;
import dev.offpath.core.adapter.CheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.QuotaHandler;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.AttributeValues;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.Action;
import dev.offpath.core.config.ConfigError;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.HandlerConfig;
import dev.offpath.core.config.HeaderOperation;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.config.Variety;
import dev.offpath.core.expr.EvaluationException;
import dev.offpath.core.expr.Expression;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  private static final Logger log = LoggerFactory.getLogger(PolicyEngine.class);

  /** Failures on the request path log once per kind per 10 s with a count, not per request. */
  private static final RateLimitedLog handlerErrors = RateLimitedLog.of(log);

  /**
   * Every check asks one unit, without a deduplication id: ids only help a client that retries the
   * same request (Mixer's proxies did), and the runtime never does, so a unique id per check would
   * only fill the adapters' dedup tables.
   */
  private static final QuotaArgs ONE_UNIT = new QuotaArgs("", 1, false);

  private final long version;
  private final PolicyConfig config;
  private final RuntimeServices services;
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
            case CHECK -> checks.add(checkAction(owned, instance));
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
                      quotaOwner, typed(quotaOwner, QuotaHandler.class, instance), instance));
            }
            case REPORT -> {} // the telemetry pipeline's
          }
        }
      }
      bound.add(new BoundRule(rule, List.copyOf(checks), List.copyOf(quotas), new LongAdder()));
    }
    this.rules = List.copyOf(bound);
    this.hasQuotas = bound.stream().anyMatch(r -> !r.quotas.isEmpty());
    this.hasAsyncChecks =
        bound.stream().anyMatch(r -> r.checks.stream().anyMatch(c -> c.async != null));
    this.preconditionIndex = index(bound, false);
    this.quotaIndex = index(bound, true);
  }

  /** The rule index of one phase: every rule, or the rules with quotas (see {@link RuleIndex}). */
  private static RuleIndex index(List<BoundRule> rules, boolean quotasOnly) {
    List<@Nullable Expression> matches = new ArrayList<>(rules.size());
    boolean[] included = new boolean[rules.size()];
    for (int i = 0; i < rules.size(); i++) {
      matches.add(rules.get(i).rule.match());
      included[i] = !quotasOnly || !rules.get(i).quotas.isEmpty();
    }
    return RuleIndex.of(matches, included);
  }

  /** A check instance bound to its handler: an in-process one, or an out-of-process adapter. */
  private static CheckAction checkAction(OwnedHandler owned, InstanceConfig instance)
      throws ConfigException {
    if (owned.handler instanceof AsyncCheckHandler async) {
      return new CheckAction(owned, null, async, instance);
    }
    return new CheckAction(owned, typed(owned, CheckHandler.class, instance), null, instance);
  }

  /**
   * The handler as the type its instance's variety needs. The loader checked that the adapter
   * declares the template, so a mismatch is the adapter's bug, refused like a handler that cannot
   * start.
   */
  private static <T> T typed(OwnedHandler owned, Class<T> type, InstanceConfig instance)
      throws ConfigException {
    if (type.isInstance(owned.handler)) {
      return type.cast(owned.handler);
    }
    throw startFailure(
        owned.config,
        "adapter '"
            + owned.config.adapter().name()
            + "' declares template "
            + instance.template()
            + " but its handler is not a "
            + type.getSimpleName());
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
      build(config.handlers().values(), false, services, previous, handlers, created, takenOver);
      build(shadowed(config), true, services, previous, shadows, created, takenOver);
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

  /**
   * Creates the handlers {@code configs} (shadows when {@code dryRun}) into {@code into}, or takes
   * them over from {@code previous}; records which in {@code created} / {@code takenOver}.
   */
  private static void build(
      Collection<HandlerConfig> configs,
      boolean dryRun,
      RuntimeServices services,
      @Nullable PolicyEngine previous,
      Map<String, OwnedHandler> into,
      List<OwnedHandler> created,
      List<OwnedHandler> takenOver)
      throws ConfigException {
    for (HandlerConfig hc : configs) {
      OwnedHandler reusable =
          previous == null ? null : reusable(dryRun ? previous.shadows : previous.handlers, hc);
      if (reusable != null) {
        into.put(hc.name(), new OwnedHandler(hc, reusable.handler));
        takenOver.add(reusable);
        continue;
      }
      Handler handler;
      try {
        handler =
            AdapterRegistry.create(
                hc.adapter(),
                hc.adapterConfig(),
                new HandlerEnvironment(
                    services.ticker(),
                    services.clock(),
                    services.scheduler(),
                    hc.name(),
                    dryRun,
                    services.tracer()));
      } catch (RuntimeException e) {
        log.warn("handler '{}' cannot start", hc.name(), e);
        throw startFailure(hc, describe(e));
      }
      OwnedHandler owned = new OwnedHandler(hc, handler);
      created.add(owned);
      into.put(hc.name(), owned);
    }
  }

  /** The handlers that quota instances of dry-run rules are dispatched to (shadowed), each once. */
  private static Collection<HandlerConfig> shadowed(PolicyConfig config) {
    Map<String, HandlerConfig> out = new LinkedHashMap<>();
    for (RuleConfig rule : config.rules()) {
      if (!rule.dryRun()) {
        continue;
      }
      for (Action action : rule.actions()) {
        for (InstanceConfig instance : action.instances()) {
          if (instance.variety() == Variety.QUOTA) {
            out.putIfAbsent(action.handler().name(), action.handler());
          }
        }
      }
    }
    return out.values();
  }

  private static ConfigException startFailure(HandlerConfig hc, String reason) {
    return new ConfigException(
        List.of(
            new ConfigError(
                hc.source(),
                ConfigError.Category.HANDLER,
                "handler '" + hc.name() + "': cannot start: " + reason)));
  }

  /** An exception's own words, without its class name unless it has none. */
  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  /** The handler of {@code handlers} for {@code next}, when {@code next} configures it the same way. */
  private static @Nullable OwnedHandler reusable(Map<String, OwnedHandler> handlers, HandlerConfig next) {
    OwnedHandler h = handlers.get(next.name());
    if (h != null
        && !h.transferred.get()
        && h.config.adapter().name().equals(next.adapter().name())
        && h.config.adapterConfig().equals(next.adapterConfig())) {
      return h;
    }
    return null;
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
      out.put(r.rule.name(), r.hits.sum());
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
      if (!matches(rule.rule, attributes, result, trace, replaying)) {
        continue;
      }
      if (!replaying) {
        rule.hits.increment();
      }
      if (matched == null) {
        matched = new int[Math.min(rules.size(), 8)];
      } else if (matchedCount == matched.length) {
        matched = Arrays.copyOf(matched, Math.min(rules.size(), matchedCount * 2));
      }
      matched[matchedCount++] = position;
      if (rule.rule.dryRun()) {
        if (!rule.checks.isEmpty()) {
          Combiner own = new Combiner(services.failOpen());
          for (CheckAction action : rule.checks) {
            check(rule.rule, action, attributes, own, trace, round);
          }
          dryRun = result.absorbDryRun(own, rule.rule, dryRun, false);
        }
        continue;
      }
      for (CheckAction action : rule.checks) {
        check(rule.rule, action, attributes, result, trace, round);
      }
      if (!rule.rule.requestHeaderOperations().isEmpty()) {
        requestMutations =
            append(
                requestMutations,
                rule.rule,
                rule.rule.requestHeaderOperations(),
                attributes,
                replaying);
      }
      if (!rule.rule.responseHeaderOperations().isEmpty()) {
        responseMutations =
            append(
                responseMutations,
                rule.rule,
                rule.rule.responseHeaderOperations(),
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
      rules.get(matched.position(i)).hits.increment();
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
        names.add(rules.get(position).rule.name());
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
      if (rule.quotas.isEmpty() || !matches(rule.rule, attributes, result, trace, false)) {
        continue;
      }
      Combiner into = rule.rule.dryRun() ? new Combiner(services.failOpen()) : result;
      for (QuotaAction action : rule.quotas) {
        allocate(rule.rule, action, attributes, into, trace);
      }
      if (rule.rule.dryRun()) {
        dryRun = result.absorbDryRun(into, rule.rule, dryRun, true);
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

  /**
   * Whether the rule's match holds. An evaluation error (a missing attribute is the common case) is
   * logged and the rule does not match, as in Mixer. Anything else thrown is a bug: it fails the
   * decision as an error (INTERNAL, or ignored when failing open) rather than quietly skipping what
   * may be a deny rule.
   */
  private boolean matches(
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

  private void check(
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
      call.whenComplete(
          (answer, e) ->
              dispatched(
                  action.owned,
                  action.instance,
                  e != null && !(unwrap(e) instanceof EvaluationException),
                  start));
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

  private void allocate(
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

  private static Instance build(InstanceConfig config, Attributes attributes)
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

  private List<HeaderMutation> append(
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

  private record BoundRule(
      RuleConfig rule, List<CheckAction> checks, List<QuotaAction> quotas, LongAdder hits) {}

  /**
   * A check instance bound to its handler, typed once at build: {@code handler} for an in-process
   * one, {@code async} for an out-of-process adapter; exactly one is set.
   */
  private record CheckAction(
      OwnedHandler owned,
      @Nullable CheckHandler handler,
      @Nullable AsyncCheckHandler async,
      InstanceConfig instance) {}

  /**
   * The out-of-process calls of one decision, in dispatch order (see {@link
   * #checkPreconditionsAsync}). Confined: the first pass fills it on the request thread; the second
   * reads it on the thread that completed the last call, after every call completed (the futures'
   * completion orders the two).
   */
  private static final class Round {
    final List<CompletableFuture<CheckResult>> calls = new ArrayList<>(2);
    boolean replaying;
    int next;
  }

  /** A quota instance bound to its handler, typed once at build. */
  private record QuotaAction(OwnedHandler owned, QuotaHandler handler, InstanceConfig instance) {}

  private static final class OwnedHandler {
    final HandlerConfig config;
    final Handler handler;
    final AtomicBoolean transferred = new AtomicBoolean();

    OwnedHandler(HandlerConfig config, Handler handler) {
      this.config = config;
      this.handler = handler;
    }

    void closeQuietly() {
      try {
        handler.close();
      } catch (Exception e) {
        log.warn("closing handler '{}' failed", config.name(), e);
      }
    }
  }

  /** Folds handler answers into one decision, in dispatch order. Confined to one check. */
  private static final class Combiner {
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
}
