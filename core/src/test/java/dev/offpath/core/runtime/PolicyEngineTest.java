package dev.offpath.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.CheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.QuotaHandler;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.config.Action;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.HandlerConfig;
import dev.offpath.core.config.HeaderOperation;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.config.Source;
import dev.offpath.core.expr.EvaluationException;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The runtime's combination rules, with hand-built configs and test adapters so that it is checked
 * independently of the YAML loader and the expression compiler.
 */
class PolicyEngineTest {

  private static final Source SRC = new Source("test.yaml", 1);
  private final FakeTicker ticker = new FakeTicker();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final RecordingMetrics metrics = new RecordingMetrics();
  private final FixedAdapter fixed = new FixedAdapter();
  private final CountingQuota quota = new CountingQuota();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  private RuntimeServices services(boolean failOpen) {
    return new RuntimeServices(
        AdapterRegistry.of(List.of(fixed, quota)), ticker, ticker, scheduler, metrics, failOpen);
  }

  @Test
  void noRulesAllowWithMixerDefaultValidity() {
    Decision d = engine(List.of(), false).check(Attributes.empty());
    assertThat(d.allowed()).isTrue();
    assertThat(d.validDuration()).isEqualTo(Duration.ofMinutes(1));
    assertThat(d.validUseCount()).isEqualTo(10_000);
    assertThat(d.decidingRule()).isNull();
  }

  @Test
  void firstFailureWinsMessagesJoinedValidityIsMinimum() {
    HandlerConfig allow = handler("allow", new Fixed(StatusCode.OK, "", Duration.ofSeconds(30), 50));
    HandlerConfig deny1 =
        handler("deny1", new Fixed(StatusCode.PERMISSION_DENIED, "no", Duration.ofSeconds(5), 100));
    HandlerConfig deny2 =
        handler("deny2", new Fixed(StatusCode.NOT_FOUND, "missing", Duration.ofSeconds(10), 7));
    List<RuleConfig> rules =
        List.of(
            rule("r1", null, action(allow)),
            rule("r2", null, action(deny1)),
            rule("r3", null, action(deny2)));
    Decision d = engine(rules, false).check(Attributes.empty());
    assertThat(d.status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(d.status().message()).isEqualTo("deny1.test:no, deny2.test:missing");
    assertThat(d.decidingRule()).isEqualTo("r2");
    assertThat(d.decidingHandler()).isEqualTo("deny1.test");
    assertThat(d.validDuration()).isEqualTo(Duration.ofSeconds(5));
    assertThat(d.validUseCount()).isEqualTo(7);
    assertThat(d.error()).isFalse();
    assertThat(metrics.dispatches).containsExactly(
        "fixed/allow.test/checknothing/false",
        "fixed/deny1.test/checknothing/false",
        "fixed/deny2.test/checknothing/false");
  }

  @Test
  void unlimitedUseCountLosesToAnyLimit() {
    HandlerConfig a = handler("a", new Fixed(StatusCode.OK, "", Duration.ofSeconds(30), -1));
    HandlerConfig b = handler("b", new Fixed(StatusCode.OK, "", Duration.ofSeconds(30), 3));
    Decision d = engine(List.of(rule("r", null, action(a), action(b))), false).check(Attributes.empty());
    assertThat(d.validUseCount()).isEqualTo(3);
  }

  @Test
  void onlyMatchingRulesDispatchAndMatchErrorsCountAsNoMatch() {
    HandlerConfig deny = handler("deny", new Fixed(StatusCode.PERMISSION_DENIED, "x", Duration.ZERO, 0));
    List<RuleConfig> rules =
        List.of(
            rule("never", constant(false), action(deny)),
            rule("broken", failing("lookup failed: 'a'"), action(deny)));
    PolicyEngine engine = engine(rules, false);
    Decision d = engine.check(Attributes.empty());
    assertThat(d.allowed()).isTrue();
    assertThat(metrics.matchErrors).containsExactly("broken");
    assertThat(engine.ruleHits()).containsEntry("never", 0L).containsEntry("broken", 0L);
  }

  @Test
  void instanceBuildFailureDeniesWithInternalUnlessFailOpen() {
    HandlerConfig allow = handler("allow", new Fixed(StatusCode.OK, "", Duration.ofSeconds(30), 50));
    InstanceConfig bad =
        new InstanceConfig("bad.instance", "listentry", Map.of("value", failing("lookup failed: 'source.ip'")), SRC);
    RuleConfig r = rule("r", null, new Action(allow, List.of(bad), null));

    Decision closed = engine(List.of(r), false).check(Attributes.empty());
    assertThat(closed.status().code()).isEqualTo(StatusCode.INTERNAL);
    assertThat(closed.status().message())
        .isEqualTo("allow.test:instance 'bad.instance': lookup failed: 'source.ip'");
    assertThat(closed.error()).isTrue();
    assertThat(metrics.dispatches).containsExactly("fixed/allow.test/listentry/true");

    Decision open = engine(List.of(r), true).check(Attributes.empty());
    assertThat(open.allowed()).isTrue();
    assertThat(open.error()).isTrue();
  }

  @Test
  void quotaExhaustionIsResourceExhaustedAndMarksQuotaUse() {
    HandlerConfig q = new HandlerConfig("q.test", quota, 2L, SRC);
    InstanceConfig inst = new InstanceConfig("requestcount.quota.test", "quota", Map.of(), SRC);
    PolicyEngine engine = engine(List.of(rule("r", null, new Action(q, List.of(inst), null))), false);
    assertThat(engine.check(Attributes.empty()).allowed()).isTrue();
    assertThat(engine.check(Attributes.empty()).usedQuota()).isTrue();
    Decision third = engine.check(Attributes.empty());
    assertThat(third.status().code()).isEqualTo(StatusCode.RESOURCE_EXHAUSTED);
    assertThat(third.status().message()).isEqualTo("q.test:quota 'requestcount.quota.test' exhausted");
  }

  @Test
  void quotaIsNotSpentOnADeniedRequestAndRunsOutsideThePreconditionPhase() {
    HandlerConfig q = new HandlerConfig("q.test", quota, 1L, SRC);
    InstanceConfig inst = new InstanceConfig("requestcount.quota.test", "quota", Map.of(), SRC);
    HandlerConfig deny =
        handler("deny", new Fixed(StatusCode.PERMISSION_DENIED, "no", Duration.ofSeconds(5), 100));
    Attributes denied = MapAttributes.of(Map.of("request.user", "mallory"));
    RuleConfig quotaRule = rule("quota", null, new Action(q, List.of(inst), null));
    RuleConfig denyRule =
        rule("deny", new TestExpression("user", ValueType.BOOL, a -> denied.equals(a)), action(deny));
    PolicyEngine engine = engine(List.of(denyRule, quotaRule), false);

    Decision pre = engine.checkPreconditions(Attributes.empty());
    assertThat(pre.allowed()).isTrue();
    assertThat(pre.usedQuota()).isFalse();

    assertThat(engine.check(denied).status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    Decision first = engine.allocateQuotas(pre, Attributes.empty());
    assertThat(first.allowed()).isTrue();
    assertThat(first.usedQuota()).isTrue();
    // The one unit went to the allowed request above, none to the denied one.
    Decision second = engine.allocateQuotas(pre, Attributes.empty());
    assertThat(second.status().code()).isEqualTo(StatusCode.RESOURCE_EXHAUSTED);
    assertThat(second.decidingRule()).isEqualTo("quota");
  }

  @Test
  void headerOperationsOfMatchedRulesOnAllow() {
    HeaderOperation add = new HeaderOperation("x-user", List.of(attribute("request.user")), HeaderOperation.Operation.APPEND);
    HeaderOperation drop = new HeaderOperation("x-secret", List.of(), HeaderOperation.Operation.REMOVE);
    RuleConfig r =
        new RuleConfig("hdr", null, List.of(), List.of(add, drop), List.of(add), SRC);
    RuleConfig skipped =
        new RuleConfig("skip", constant(false), List.of(), List.of(drop), List.of(), SRC);
    Decision d =
        engine(List.of(r, skipped), false)
            .check(MapAttributes.of(Map.of("request.user", "alice")));
    assertThat(d.requestHeaderMutations())
        .containsExactly(
            new HeaderMutation("x-user", "alice", HeaderOperation.Operation.APPEND),
            new HeaderMutation("x-secret", "", HeaderOperation.Operation.REMOVE));
    assertThat(d.responseHeaderMutations())
        .containsExactly(new HeaderMutation("x-user", "alice", HeaderOperation.Operation.APPEND));
  }

  @Test
  void headerValuesOfOtherTypesRenderAsMixerPrintedThem() {
    HeaderOperation timeout =
        new HeaderOperation(
            "x-timeout",
            List.of(new TestExpression("d", ValueType.DURATION, a -> Duration.ofMillis(1500))),
            HeaderOperation.Operation.REPLACE);
    RuleConfig r = new RuleConfig("hdr", null, List.of(), List.of(timeout), List.of(), SRC);
    Decision d = engine(List.of(r), false).check(Attributes.empty());
    assertThat(d.requestHeaderMutations())
        .containsExactly(new HeaderMutation("x-timeout", "1.5s", HeaderOperation.Operation.REPLACE));
  }

  @Test
  void reloadKeepsEqualHandlersAndClosesTheRest() throws Exception {
    HandlerConfig keep = handler("keep", new Fixed(StatusCode.OK, "", Duration.ofSeconds(1), 1));
    HandlerConfig gone = handler("gone", new Fixed(StatusCode.OK, "", Duration.ofSeconds(1), 1));
    PolicyStore store = new PolicyStore(services(false));
    store.install(config(List.of(rule("r", null, action(keep), action(gone)))));
    assertThat(fixed.created).hasValue(2);
    HandlerConfig keepAgain = handler("keep", new Fixed(StatusCode.OK, "", Duration.ofSeconds(1), 1));
    PolicyEngine second = store.install(config(List.of(rule("r", null, action(keepAgain)))));
    assertThat(second.version()).isEqualTo(2);
    assertThat(fixed.created).hasValue(2);
    assertThat(fixed.closed).containsExactly("gone.test");
    store.close();
    assertThat(fixed.closed).containsExactly("gone.test", "keep.test");
  }

  @Test
  void reloadWhoseHandlerCannotStartLeavesTheLiveEngineAndItsHandlersUntouched() throws Exception {
    HandlerConfig keep = handler("keep", new Fixed(StatusCode.OK, "", Duration.ofSeconds(1), 1));
    PolicyStore store = new PolicyStore(services(false));
    PolicyEngine first = store.install(config(List.of(rule("r", null, action(keep)))));
    assertThat(fixed.created).hasValue(1);

    HandlerConfig keepAgain = handler("keep", new Fixed(StatusCode.OK, "", Duration.ofSeconds(1), 1));
    HandlerConfig fresh = handler("fresh", new Fixed(StatusCode.OK, "", Duration.ofSeconds(1), 1));
    HandlerConfig broken = handler("broken", new Fixed(StatusCode.OK, FixedAdapter.FAIL, Duration.ZERO, 0));
    assertThatThrownBy(
            () ->
                store.install(
                    config(List.of(rule("r", null, action(keepAgain), action(fresh), action(broken))))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("test.yaml:1: handler 'broken.test': cannot start: cannot open /nowhere");
    assertThat(store.current()).isSameAs(first);
    assertThat(fixed.closed).containsExactly("fresh.test"); // what the attempt created, and only that

    // The failed attempt took nothing over: the next good reload still reuses the live handler.
    PolicyEngine second = store.install(config(List.of(rule("r", null, action(keepAgain)))));
    assertThat(second.version()).isEqualTo(2);
    assertThat(fixed.created).hasValue(3); // keep, fresh, and the broken attempt
    assertThat(fixed.closed).containsExactly("fresh.test");
    store.close();
    assertThat(fixed.closed).containsExactly("fresh.test", "keep.test");
  }

  @Test
  void aRetiredEngineIsClosedOnlyOnceItsHoldersReleaseIt() throws Exception {
    HandlerConfig old = handler("old", new Fixed(StatusCode.OK, "", Duration.ofSeconds(1), 1));
    PolicyStore store = new PolicyStore(services(false));
    store.install(config(List.of(rule("r", null, action(old)))));
    PolicyEngine held = store.acquire();

    HandlerConfig next = handler("next", new Fixed(StatusCode.OK, "", Duration.ofSeconds(1), 1));
    store.install(config(List.of(rule("r", null, action(next)))));
    assertThat(store.current()).isNotSameAs(held);
    // Work still running on the old engine reaches an open handler.
    assertThat(held.check(Attributes.empty()).allowed()).isTrue();
    assertThat(fixed.closed).isEmpty();

    held.release();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (fixed.closed.isEmpty() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(fixed.closed).containsExactly("old.test");
    store.close();
    assertThat(fixed.closed).containsExactly("old.test", "next.test");
  }

  @Test
  void acquireBeforeAnyConfigIsNotReady() {
    PolicyStore store = new PolicyStore(services(false));
    assertThatThrownBy(store::acquire).isInstanceOf(NotReadyException.class);
    assertThatThrownBy(() -> store.check(Attributes.empty()))
        .isInstanceOf(NotReadyException.class)
        .hasMessage("no config loaded yet");
  }

  @Test
  void aMatchThatThrowsSomethingElseIsAnErrorNotAQuietMiss() {
    Expression buggy =
        new TestExpression(
            "buggy",
            ValueType.BOOL,
            a -> {
              throw new IllegalStateException("bug");
            });
    HandlerConfig deny = handler("deny", new Fixed(StatusCode.PERMISSION_DENIED, "no", Duration.ofSeconds(1), 1));
    Decision closed = engine(List.of(rule("r", buggy, action(deny))), false).check(Attributes.empty());
    assertThat(closed.status().code()).isEqualTo(StatusCode.INTERNAL);
    assertThat(closed.status().message()).isEqualTo(":rule 'r' failed");
    assertThat(closed.error()).isTrue();
    Decision open = engine(List.of(rule("r", buggy, action(deny))), true).check(Attributes.empty());
    assertThat(open.allowed()).isTrue();
    assertThat(open.error()).isTrue();
  }

  // --- fixtures -----------------------------------------------------------------------------

  private PolicyEngine engine(List<RuleConfig> rules, boolean failOpen) {
    try {
      return PolicyEngine.create(1, config(rules), services(failOpen), null);
    } catch (ConfigException e) {
      throw new AssertionError(e);
    }
  }

  static PolicyConfig config(List<RuleConfig> rules) {
    Map<String, HandlerConfig> handlers = new LinkedHashMap<>();
    Map<String, InstanceConfig> instances = new LinkedHashMap<>();
    for (RuleConfig r : rules) {
      for (Action a : r.actions()) {
        handlers.put(a.handler().name(), a.handler());
        a.instances().forEach(i -> instances.put(i.name(), i));
      }
    }
    return new PolicyConfig(
        AttributeManifest.of(Map.of("request.user", ValueType.STRING)), handlers, instances, rules, List.of());
  }

  private HandlerConfig handler(String name, Fixed result) {
    return new HandlerConfig(name + ".test", fixed, result, SRC);
  }

  private static Action action(HandlerConfig h) {
    return new Action(h, List.of(new InstanceConfig("nothing.test", "checknothing", Map.of(), SRC)), null);
  }

  static RuleConfig rule(String name, @Nullable Expression match, Action... actions) {
    return new RuleConfig(name, match, List.of(actions), List.of(), List.of(), SRC);
  }

  static Expression constant(boolean value) {
    return new TestExpression(String.valueOf(value), ValueType.BOOL, a -> value);
  }

  private static Expression failing(String message) {
    return new TestExpression("failing", ValueType.BOOL, a -> {
      throw new EvaluationException(message);
    });
  }

  private static Expression attribute(String name) {
    return new TestExpression(name, ValueType.STRING, a -> {
      Object v = a.get(name);
      if (v == null) {
        throw new EvaluationException("lookup failed: '" + name + "'");
      }
      return v;
    });
  }

  interface Eval {
    Object apply(Attributes a) throws EvaluationException;
  }

  record TestExpression(String text, ValueType type, Eval eval) implements Expression {
    @Override
    public Object evaluate(Attributes attributes) throws EvaluationException {
      return eval.apply(attributes);
    }
  }

  record Fixed(StatusCode code, String message, Duration valid, int uses) {}

  static final class FixedAdapter implements AdapterFactory<Fixed> {
    /** A {@link Fixed#message()} that makes the handler fail to start. */
    static final String FAIL = "fail to start";

    final AtomicInteger created = new AtomicInteger();
    final List<String> closed = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "fixed";
    }

    @Override
    public Set<String> templates() {
      return Set.of("checknothing", "listentry");
    }

    @Override
    public Fixed parse(Params params) throws AdapterConfigException {
      throw params.invalid("", "not parsed in this test");
    }

    @Override
    public Handler create(Fixed config, AdapterEnvironment env) {
      created.incrementAndGet();
      if (config.message().equals(FAIL)) {
        throw new IllegalArgumentException("cannot open /nowhere");
      }
      return new CheckHandler() {
        @Override
        public CheckResult check(Instance instance) {
          return new CheckResult(
              dev.offpath.core.adapter.PolicyStatus.of(config.code(), config.message()),
              config.valid(),
              config.uses());
        }

        @Override
        public void close() {
          closed.add(env.handlerName());
        }
      };
    }
  }

  /** Grants one unit per call up to a fixed total. */
  static final class CountingQuota implements AdapterFactory<Long> {
    @Override
    public String name() {
      return "countingquota";
    }

    @Override
    public Set<String> templates() {
      return Set.of("quota");
    }

    @Override
    public Long parse(Params params) throws AdapterConfigException {
      return params.longValue("max", 1);
    }

    @Override
    public Handler create(Long max, AdapterEnvironment env) {
      AtomicInteger used = new AtomicInteger();
      return (QuotaHandler)
          (Instance instance, QuotaArgs args) ->
              used.incrementAndGet() <= max
                  ? QuotaResult.granted(1, Duration.ofSeconds(1))
                  : QuotaResult.granted(0, Duration.ofSeconds(1));
    }
  }

  static final class RecordingMetrics implements RuntimeMetrics {
    final List<String> dispatches = new ArrayList<>();
    final List<String> matchErrors = new ArrayList<>();

    @Override
    public void dispatched(String adapter, String handler, String meshFunction, boolean error, long nanos) {
      dispatches.add(adapter + "/" + handler + "/" + meshFunction + "/" + error);
    }

    @Override
    public void matchError(String rule) {
      matchErrors.add(rule);
    }
  }
}
