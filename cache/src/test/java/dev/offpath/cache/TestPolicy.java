package dev.offpath.cache;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.CheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.QuotaHandler;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.core.config.Action;
import dev.offpath.core.config.HandlerConfig;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.config.Source;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.expr.ExpressionCompiler;
import dev.offpath.core.expr.ExpressionException;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.runtime.RuntimeServices;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import dev.offpath.core.adapter.AsyncCheckHandler;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Hand-built policies for the cache tests: real compiled expressions, test adapters that count their
 * calls, no YAML.
 */
final class TestPolicy {

  static final Source SRC = new Source("test", 1);

  private TestPolicy() {}

  /**
   * A check adapter's config: every instance answered with {@code code} when {@code denied} is empty,
   * otherwise instances whose {@code value} field is in {@code denied} get {@code code} and the rest
   * OK.
   */
  record Verdict(StatusCode code, Duration valid, int uses, Set<String> denied) {
    static Verdict allow(Duration valid, int uses) {
      return new Verdict(StatusCode.OK, valid, uses, Set.of());
    }

    static Verdict deny(Duration valid, int uses) {
      return new Verdict(StatusCode.PERMISSION_DENIED, valid, uses, Set.of());
    }

    static Verdict denyValues(Set<String> values) {
      return new Verdict(StatusCode.PERMISSION_DENIED, Duration.ofMinutes(1), -1, values);
    }
  }

  /** The {@code verdict} adapter; {@link #calls} counts checks across its handlers. */
  static final class VerdictAdapter implements AdapterFactory<Verdict> {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public String name() {
      return "verdict";
    }

    @Override
    public Set<String> templates() {
      return Set.of("checknothing", "listentry");
    }

    @Override
    public Verdict parse(Params params) throws AdapterConfigException {
      throw params.invalid("", "built by tests only");
    }

    @Override
    public Handler create(Verdict v, AdapterEnvironment env) {
      return (CheckHandler)
          instance -> {
            calls.incrementAndGet();
            boolean deny = v.denied().isEmpty() || v.denied().contains(instance.field("value"));
            PolicyStatus status =
                deny ? PolicyStatus.of(v.code(), "verdict " + instance.field("value")) : PolicyStatus.OK;
            return new CheckResult(status, v.valid(), v.uses());
          };
    }
  }

  /**
   * The {@code asyncverdict} adapter: an out-of-process stand-in whose calls wait in {@link #calls}
   * until the test answers them.
   */
  static final class AsyncVerdictAdapter implements AdapterFactory<String> {
    final ConcurrentLinkedQueue<Map.Entry<Instance, CompletableFuture<CheckResult>>> calls =
        new ConcurrentLinkedQueue<>();

    @Override
    public String name() {
      return "asyncverdict";
    }

    @Override
    public Set<String> templates() {
      return Set.of("checknothing", "listentry");
    }

    @Override
    public String parse(Params params) throws AdapterConfigException {
      throw params.invalid("", "built by tests only");
    }

    @Override
    public Handler create(String config, AdapterEnvironment env) {
      return (AsyncCheckHandler)
          instance -> {
            CompletableFuture<CheckResult> f = new CompletableFuture<>();
            calls.add(Map.entry(instance, f));
            return f;
          };
    }
  }

  /** The {@code grant} quota adapter: grants every allocation; counts them. */
  static final class GrantAdapter implements AdapterFactory<Long> {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public String name() {
      return "grant";
    }

    @Override
    public Set<String> templates() {
      return Set.of("quota");
    }

    @Override
    public Long parse(Params params) throws AdapterConfigException {
      throw params.invalid("", "built by tests only");
    }

    @Override
    public Handler create(Long amount, AdapterEnvironment env) {
      return (QuotaHandler)
          (Instance instance, QuotaArgs args) -> {
            calls.incrementAndGet();
            return QuotaResult.granted(amount, Duration.ofMinutes(1));
          };
    }
  }

  static RuntimeServices services(
      FakeTicker ticker, ScheduledExecutorService scheduler, AdapterFactory<?>... adapters) {
    return new RuntimeServices(
        AdapterRegistry.of(List.of(adapters)), ticker, ticker, scheduler, RuntimeMetrics.NOOP, false);
  }

  static Expression expr(String text) {
    try {
      return ExpressionCompiler.compile(text, Vocabulary.builtin());
    } catch (ExpressionException e) {
      throw new IllegalArgumentException(text, e);
    }
  }

  static HandlerConfig handler(String name, AdapterFactory<?> adapter, Object config) {
    return new HandlerConfig(name, adapter, config, SRC);
  }

  /** An instance of {@code template} whose {@code value} field is {@code value} (none when null). */
  static InstanceConfig instance(String name, String template, @Nullable String value) {
    return new InstanceConfig(name, template, value == null ? Map.of() : Map.of("value", expr(value)), SRC);
  }

  static RuleConfig rule(String name, @Nullable String match, HandlerConfig handler, InstanceConfig instance) {
    return rule(name, match == null ? null : expr(match), handler, instance);
  }

  static RuleConfig rule(
      String name, @Nullable Expression match, HandlerConfig handler, InstanceConfig instance) {
    return new RuleConfig(
        name, match, List.of(new Action(handler, List.of(instance), null)), List.of(), List.of(), SRC);
  }

  static PolicyConfig config(RuleConfig... rules) {
    Map<String, HandlerConfig> handlers = new LinkedHashMap<>();
    Map<String, InstanceConfig> instances = new LinkedHashMap<>();
    List<RuleConfig> list = new ArrayList<>();
    for (RuleConfig r : rules) {
      list.add(r);
      for (Action a : r.actions()) {
        handlers.put(a.handler().name(), a.handler());
        a.instances().forEach(i -> instances.put(i.name(), i));
      }
    }
    return new PolicyConfig(Vocabulary.builtin(), handlers, instances, list, List.of());
  }
}
