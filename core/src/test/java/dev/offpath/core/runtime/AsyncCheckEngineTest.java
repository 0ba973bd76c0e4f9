package dev.offpath.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.AsyncCheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.config.Action;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.HandlerConfig;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.config.Source;
import dev.offpath.core.expr.Expression;
import static dev.offpath.core.runtime.PolicyEngineTest.config;
import static dev.offpath.core.runtime.PolicyEngineTest.constant;
import static dev.offpath.core.runtime.PolicyEngineTest.rule;

import dev.offpath.core.runtime.PolicyEngineTest.Fixed;
import dev.offpath.core.runtime.PolicyEngineTest.FixedAdapter;
import dev.offpath.core.runtime.PolicyEngineTest.RecordingMetrics;
import dev.offpath.core.runtime.PolicyEngineTest.TestExpression;
import dev.offpath.core.time.FakeTicker;
import dev.offpath.core.trace.TraceSpan;
import dev.offpath.core.trace.Tracer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Decisions that wait for out-of-process check adapters ({@link AsyncCheckHandler}): pending until
 * the calls answer, then combined exactly as in-process answers are (rule order, minimum validity,
 * dry-run), counting each rule hit and dispatch once; and no pending outcome at all when no remote
 * handler is involved.
 */
class AsyncCheckEngineTest {

  private static final Source SRC = new Source("async.yaml", 1);
  private final FakeTicker ticker = new FakeTicker();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final RecordingMetrics metrics = new RecordingMetrics();
  private final FixedAdapter fixed = new FixedAdapter();
  private final ManualRemote remote = new ManualRemote();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  @Test
  void anEngineWithoutRemoteHandlersAnswersAtOnceWithTheDecisionItself() {
    PolicyEngine engine = engine(false, rule("local", null, local("allow", StatusCode.OK)));
    Outcome outcome = engine.decide(Attributes.empty());
    assertThat(outcome).isInstanceOf(Decision.class);
    assertThat(outcome.now()).isSameAs(outcome);
  }

  @Test
  void aRequestThatMatchesNoRemoteRuleIsKnownAtOnce() {
    PolicyEngine engine =
        engine(
            false,
            rule("remote", constant(false), remote("adapter")),
            rule("local", null, local("allow", StatusCode.OK)));
    assertThat(engine.decide(Attributes.empty())).isInstanceOf(Decision.class);
    assertThat(remote.calls).isEmpty();
  }

  @Test
  void aRemoteDenialEarlierInRuleOrderWinsOverALocalOneThatAnsweredFirst() {
    PolicyEngine engine =
        engine(
            false,
            rule("first", null, remote("adapter")),
            rule("second", null, local("deny", StatusCode.PERMISSION_DENIED)));
    Outcome outcome = engine.decide(bag("alice"));
    assertThat(outcome).isInstanceOf(PendingDecision.class);
    assertThat(outcome.now()).isNull();
    Call call = remote.calls.remove();
    assertThat(call.instance.name()).isEqualTo("who.async");
    assertThat(call.instance.field("value")).isEqualTo("alice");

    call.answer.complete(
        new CheckResult(
            PolicyStatus.of(StatusCode.UNAUTHENTICATED, "who are you"), Duration.ofSeconds(7), 3));

    Decision d = outcome.now();
    assertThat(d).isNotNull();
    assertThat(d.status().code()).isEqualTo(StatusCode.UNAUTHENTICATED);
    assertThat(d.status().message()).isEqualTo("adapter.async:who are you, deny.async:no");
    assertThat(d.decidingRule()).isEqualTo("first");
    assertThat(d.validDuration()).isEqualTo(Duration.ofSeconds(2)); // the local one's, lower
    assertThat(d.validUseCount()).isEqualTo(3);
    assertThat(engine.ruleHits()).containsEntry("first", 1L).containsEntry("second", 1L);
    assertThat(metrics.dispatches)
        .containsExactlyInAnyOrder(
            "fixed/deny.async/checknothing/false", "remote/adapter.async/listentry/false");
  }

  @Test
  void twoRemoteCallsRunConcurrentlyAndTheDecisionWaitsForBoth() throws Exception {
    PolicyEngine engine =
        engine(false, rule("a", null, remote("one")), rule("b", null, remote("two")));
    AtomicReference<Decision> seen = new AtomicReference<>();
    AtomicReference<String> thread = new AtomicReference<>();
    engine
        .decide(bag("bob"))
        .whenDecided(
            d -> {
              seen.set(d);
              thread.set(Thread.currentThread().getName());
            });
    assertThat(remote.calls).hasSize(2);
    Call one = remote.calls.remove();
    Call two = remote.calls.remove();
    two.answer.complete(CheckResult.ok(Duration.ofSeconds(30), 100));
    assertThat(seen.get()).isNull();
    Thread answering =
        new Thread(() -> one.answer.complete(CheckResult.ok(Duration.ofSeconds(5), -1)), "adapter-1");
    answering.start();
    answering.join();
    assertThat(seen.get().allowed()).isTrue();
    assertThat(seen.get().validDuration()).isEqualTo(Duration.ofSeconds(5));
    assertThat(seen.get().validUseCount()).isEqualTo(100);
    assertThat(thread.get()).isEqualTo("adapter-1");
  }

  @Test
  void aFailedCallIsAnErrorDecisionClosedAndIgnoredOpen() {
    for (boolean failOpen : new boolean[] {false, true}) {
      PolicyEngine engine = engine(failOpen, rule("r", null, remote("adapter")));
      Outcome outcome = engine.decide(bag("carol"));
      remote.calls.remove().answer.completeExceptionally(new IllegalStateException("socket"));
      Decision d = outcome.join();
      assertThat(d.error()).isTrue();
      assertThat(d.allowed()).isEqualTo(failOpen);
      if (!failOpen) {
        assertThat(d.status().code()).isEqualTo(StatusCode.INTERNAL);
        assertThat(d.status().message()).isEqualTo("adapter.async:handler 'adapter.async' failed");
      }
    }
    assertThat(metrics.dispatches)
        .containsExactly("remote/adapter.async/listentry/true", "remote/adapter.async/listentry/true");
  }

  /**
   * A handler's failure-policy answer is a decision for the Check but a failed dispatch for
   * Mixer's metrics, as a built-in handler that timed out; the same denial given by the adapter
   * is a dispatch without error.
   */
  @Test
  void aFailurePolicysAnswerIsAFailedDispatch() {
    PolicyEngine engine = engine(false, rule("r", null, remote("adapter")));
    Outcome failed = engine.decide(bag("dora"));
    remote.calls.remove().answer.complete(ManualRemote.FAILURE_ANSWER);
    assertThat(failed.join().status().code()).isEqualTo(StatusCode.UNAVAILABLE);
    Outcome decided = engine.decide(bag("ed"));
    remote.calls.remove().answer.complete(
        CheckResult.denied(StatusCode.UNAVAILABLE, "policy adapter unavailable", Duration.ZERO, 0));
    assertThat(decided.join().status().code()).isEqualTo(StatusCode.UNAVAILABLE);
    assertThat(metrics.dispatches)
        .containsExactly("remote/adapter.async/listentry/true", "remote/adapter.async/listentry/false");
  }

  @Test
  void anInstanceThatCannotBeBuiltNeverReachesTheAdapter() {
    PolicyEngine engine = engine(false, rule("r", null, remote("adapter")));
    Decision d = engine.decide(Attributes.empty()).join();
    assertThat(remote.calls).isEmpty();
    assertThat(d.status().code()).isEqualTo(StatusCode.INTERNAL);
    assertThat(d.status().message()).contains("instance 'who.async'").contains("request.user");
  }

  @Test
  void aDryRunRuleWithARemoteCheckReportsItsDenialWithoutDenying() {
    PolicyEngine engine =
        engine(
            false,
            dryRun(rule("shadow", null, remote("adapter"))),
            rule("live", null, local("allow", StatusCode.OK)));
    Outcome outcome = engine.decide(bag("dave"));
    remote
        .calls
        .remove()
        .answer
        .complete(
            new CheckResult(
                PolicyStatus.of(StatusCode.PERMISSION_DENIED, "nope"), Duration.ofSeconds(1), 5));
    Decision d = outcome.join();
    assertThat(d.allowed()).isTrue();
    assertThat(d.dryRunDenials()).hasSize(1);
    assertThat(d.dryRunDenials().get(0).rule()).isEqualTo("shadow");
    assertThat(d.validDuration()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void theStoreHoldsTheEngineUntilAPendingDecisionCompletes() throws Exception {
    PolicyStore store =
        new PolicyStore(
            new RuntimeServices(
                AdapterRegistry.of(List.of(fixed, remote)), ticker, ticker, scheduler, metrics, false));
    store.install(config(List.of(rule("r", null, remote("adapter")))));
    PolicyEngine first = store.current();
    Outcome outcome = store.decide(bag("erin"));
    store.install(config(List.of(rule("r2", null, local("allow", StatusCode.OK)))));
    TimeUnit.MILLISECONDS.sleep(100); // several retirement polls
    assertThat(remote.closed).isEmpty();
    remote.calls.remove().answer.complete(CheckResult.ok(Duration.ofSeconds(1), 1));
    assertThat(outcome.join().allowed()).isTrue();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (remote.closed.isEmpty() && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(10);
    }
    assertThat(remote.closed).containsExactly("adapter.async");
    assertThat(first.idle()).isTrue();
  }

  @Test
  void eachAdapterCallIsASpanStartedOnTheRequestThreadAndEndedWhenItAnswers() throws Exception {
    RecordingTracer tracer = new RecordingTracer();
    PolicyEngine engine =
        PolicyEngine.create(
            1,
            config(List.of(rule("a", null, remote("one")), rule("b", null, remote("two")))),
            new RuntimeServices(
                AdapterRegistry.of(List.of(fixed, remote)),
                ticker,
                ticker,
                scheduler,
                metrics,
                false,
                tracer),
            null);
    Outcome outcome = engine.decide(bag("bob"));
    assertThat(tracer.spans).hasSize(2);
    assertThat(tracer.spans).allSatisfy(span -> assertThat(span.ended).isFalse());
    RecordingTracer.Span first = tracer.spans.get(0);
    assertThat(first.name).isEqualTo("offpath.adapter.call");
    assertThat(first.attributes)
        .containsEntry("offpath.handler", "one.async")
        .containsEntry("offpath.adapter", "remote")
        .containsEntry("offpath.template", "listentry");
    remote.calls.remove().answer.complete(
        new CheckResult(
            PolicyStatus.of(StatusCode.PERMISSION_DENIED, "no"), Duration.ofSeconds(1), 1));
    remote.calls.remove().answer.completeExceptionally(new IllegalStateException("broken"));
    assertThat(outcome.join().allowed()).isFalse();
    assertThat(first.ended).isTrue();
    assertThat(first.attributes).containsEntry("offpath.status", "PERMISSION_DENIED");
    assertThat(first.error).isNull();
    RecordingTracer.Span second = tracer.spans.get(1);
    assertThat(second.ended).isTrue();
    assertThat(second.error).isEqualTo("handler failed");
    // The second pass starts no span.
    assertThat(tracer.spans).hasSize(2);
  }

  // --- fixtures -----------------------------------------------------------------------------

  private static Attributes bag(String user) {
    return MapAttributes.builder().put("request.user", user).build();
  }

  private PolicyEngine engine(boolean failOpen, RuleConfig... rules) {
    try {
      return PolicyEngine.create(
          1,
          config(List.of(rules)),
          new RuntimeServices(
              AdapterRegistry.of(List.of(fixed, remote)), ticker, ticker, scheduler, metrics, failOpen),
          null);
    } catch (ConfigException e) {
      throw new AssertionError(e);
    }
  }

  private Action local(String name, StatusCode code) {
    HandlerConfig h =
        new HandlerConfig(
            name + ".async",
            fixed,
            new Fixed(code, code == StatusCode.OK ? "" : "no", Duration.ofSeconds(2), 10),
            SRC);
    return new Action(
        h, List.of(new InstanceConfig("nothing.async", "checknothing", Map.of(), SRC)), null);
  }

  private Action remote(String name) {
    HandlerConfig h = new HandlerConfig(name + ".async", remote, name, SRC);
    Expression user =
        new TestExpression(
            "request.user",
            ValueType.STRING,
            a -> {
              Object v = a.get("request.user");
              if (v == null) {
                throw new dev.offpath.core.expr.EvaluationException(
                    "lookup failed: 'request.user'");
              }
              return v;
            });
    return new Action(
        h, List.of(new InstanceConfig("who.async", "listentry", Map.of("value", user), SRC)), null);
  }

  private static RuleConfig dryRun(RuleConfig r) {
    return new RuleConfig(
        r.name(),
        r.match(),
        r.actions(),
        r.requestHeaderOperations(),
        r.responseHeaderOperations(),
        r.source(),
        true);
  }

  record Call(Instance instance, CompletableFuture<CheckResult> answer) {}

  /** Records the spans the engine starts (tracing SPI), with their attributes and end. */
  static final class RecordingTracer implements Tracer {
    final List<Span> spans = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public TraceSpan start(String name) {
      Span span = new Span(name);
      spans.add(span);
      return span;
    }

    @Override
    public TraceSpan current() {
      return TraceSpan.NOOP;
    }

    static final class Span implements TraceSpan {
      final String name;
      final Map<String, Object> attributes = new java.util.concurrent.ConcurrentHashMap<>();
      volatile @Nullable String error;
      volatile boolean ended;

      Span(String name) {
        this.name = name;
      }

      @Override
      public TraceSpan attribute(String key, String value) {
        attributes.put(key, value);
        return this;
      }

      @Override
      public TraceSpan attribute(String key, long value) {
        attributes.put(key, value);
        return this;
      }

      @Override
      public TraceSpan error(String message) {
        error = message;
        return this;
      }

      @Override
      public Scope makeCurrent() {
        return Scope.NOOP;
      }

      @Override
      public boolean recording() {
        return true;
      }

      @Override
      public void end() {
        ended = true;
      }
    }
  }

  /** An out-of-process adapter stand-in whose answers the test gives, on the thread it chooses. */
  static final class ManualRemote implements AdapterFactory<String> {
    /** What the stand-in's failure policy answers (a FAIL_CLOSE-like denial) when a call fails. */
    static final CheckResult FAILURE_ANSWER =
        CheckResult.denied(StatusCode.UNAVAILABLE, "policy adapter unavailable", Duration.ZERO, 0);

    final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
    final List<String> closed = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "remote";
    }

    @Override
    public Set<String> templates() {
      return Set.of("listentry");
    }

    @Override
    public String parse(Params params) throws AdapterConfigException {
      throw params.invalid("", "not parsed in this test");
    }

    @Override
    public Handler create(String config, AdapterEnvironment env) {
      return new AsyncCheckHandler() {
        @Override
        public CompletableFuture<CheckResult> checkAsync(Instance instance) {
          CompletableFuture<CheckResult> f = new CompletableFuture<>();
          calls.add(new Call(instance, f));
          return f;
        }

        @Override
        public boolean failed(CheckResult answer) {
          return answer == FAILURE_ANSWER;
        }

        @Override
        public void close() {
          closed.add(env.handlerName());
        }
      };
    }
  }
}
