package dev.offpath.cache;

import static dev.offpath.cache.TestPolicy.config;
import static dev.offpath.cache.TestPolicy.handler;
import static dev.offpath.cache.TestPolicy.instance;
import static dev.offpath.cache.TestPolicy.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.cache.TestPolicy.GrantAdapter;
import dev.offpath.cache.TestPolicy.Verdict;
import dev.offpath.cache.TestPolicy.VerdictAdapter;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.HandlerConfig;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CachingDeciderTest {

  private final FakeTicker ticker = new FakeTicker();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final VerdictAdapter verdict = new VerdictAdapter();
  private final GrantAdapter grant = new GrantAdapter();
  private final PolicyStore store =
      new PolicyStore(TestPolicy.services(ticker, scheduler, verdict, grant));
  private final CheckCache cache =
      CheckCache.builder(ticker).executor(Runnable::run).hashSeed(42).build();
  private final CachingDecider decider = CachingDecider.of(store, cache);

  @AfterEach
  void stop() {
    store.close();
    scheduler.shutdownNow();
  }

  private static MapAttributes user(String user, String otherHeader) {
    return MapAttributes.of(
        Map.of("request.headers", StringMap.of(Map.of("x-user", user, "x-other", otherHeader))));
  }

  private void install(PolicyConfig config) {
    try {
      store.install(config);
    } catch (ConfigException e) {
      throw new AssertionError(e);
    }
  }

  private static PolicyConfig allowAll(Verdict v) {
    HandlerConfig h = handler("h", new VerdictAdapter(), v);
    return config(rule("r", (String) null, h, instance("i", "checknothing", null)));
  }

  @Test
  void useCountThreeServesThreeHitsThenMisses() {
    HandlerConfig h = handler("h", verdict, Verdict.allow(Duration.ofMinutes(1), 3));
    install(config(rule("r", (String) null, h, instance("i", "checknothing", null))));
    Attributes a = Attributes.empty();

    Decision first = decider.check(a);
    assertThat(verdict.calls).hasValue(1);
    for (int i = 0; i < 3; i++) {
      assertThat(decider.check(a)).isSameAs(first);
    }
    assertThat(verdict.calls).hasValue(1);
    decider.check(a);
    assertThat(verdict.calls).hasValue(2);
    assertThat(cache.stats())
        .extracting(
            CheckCacheStats::hits,
            CheckCacheStats::misses,
            CheckCacheStats::writes,
            CheckCacheStats::evictions)
        .containsExactly(3L, 2L, 2L, 1L);
  }

  @Test
  void validDurationTenMillisHitsAtOneMissesAtEleven() {
    HandlerConfig h = handler("h", verdict, Verdict.allow(Duration.ofMillis(10), -1));
    install(config(rule("r", (String) null, h, instance("i", "checknothing", null))));
    Attributes a = Attributes.empty();

    decider.check(a);
    ticker.advanceMillis(1);
    decider.check(a);
    assertThat(verdict.calls).hasValue(1);
    ticker.advanceMillis(10);
    decider.check(a);
    assertThat(verdict.calls).hasValue(2);
    assertThat(cache.stats().hits()).isEqualTo(1);
    assertThat(cache.stats().evictions()).isEqualTo(1);
  }

  @Test
  void headerKeyReadCachesPerUserAndIgnoresOtherHeaders() {
    HandlerConfig h = handler("h", verdict, Verdict.denyValues(java.util.Set.of("mallory")));
    install(
        config(
            rule(
                "r",
                "request.headers[\"x-user\"] != \"\"",
                h,
                instance("i", "listentry", "request.headers[\"x-user\"]"))));

    Decision alice = decider.check(user("alice", "1"));
    assertThat(alice.allowed()).isTrue();
    assertThat(decider.check(user("alice", "2"))).isSameAs(alice);
    assertThat(verdict.calls).hasValue(1);

    Decision mallory = decider.check(user("mallory", "1"));
    assertThat(mallory.status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(verdict.calls).hasValue(2);
    assertThat(decider.check(user("mallory", "3"))).isSameAs(mallory);
    assertThat(decider.check(user("alice", "3"))).isSameAs(alice);
    assertThat(verdict.calls).hasValue(2);
    assertThat(cache.stats().shapes()).isEqualTo(1);
  }

  @Test
  void absentAndPresentNeverShareAnEntry() {
    // Absent principal and principal "anonymous" both deny, but through different reads.
    HandlerConfig h = handler("h", verdict, Verdict.deny(Duration.ofMinutes(1), -1));
    install(
        config(
            rule(
                "r",
                "(source.principal | \"anonymous\") == \"anonymous\"",
                h,
                instance("i", "checknothing", null))));
    Attributes absent = Attributes.empty();
    Attributes anonymous = MapAttributes.of(Map.of("source.principal", "anonymous"));
    Attributes bob = MapAttributes.of(Map.of("source.principal", "bob"));

    Decision d1 = decider.check(absent);
    assertThat(d1.allowed()).isFalse();
    Decision d2 = decider.check(anonymous);
    assertThat(d2.allowed()).isFalse();
    assertThat(verdict.calls).hasValue(2);
    assertThat(decider.check(bob).allowed()).isTrue();
    assertThat(decider.check(absent)).isSameAs(d1);
    assertThat(decider.check(anonymous)).isSameAs(d2);
    assertThat(verdict.calls).hasValue(2);
    assertThat(cache.stats().shapes()).isEqualTo(2);
  }

  @Test
  void errorDecisionsAreNotCached() {
    HandlerConfig h = handler("h", verdict, Verdict.allow(Duration.ofMinutes(1), -1));
    // The instance reads an attribute the request lacks: the decision is an error (INTERNAL).
    install(config(rule("r", (String) null, h, instance("i", "listentry", "source.principal"))));

    Decision d = decider.check(Attributes.empty());
    assertThat(d.error()).isTrue();
    assertThat(d.status().code()).isEqualTo(StatusCode.INTERNAL);
    decider.check(Attributes.empty());
    assertThat(cache.stats().writes()).isZero();
    assertThat(cache.stats().hits()).isZero();
    assertThat(cache.stats().misses()).isEqualTo(2);
  }

  @Test
  void quotaIsSpentOnEveryRequestWhileThePreconditionsComeFromTheCache() {
    HandlerConfig q = handler("q", grant, 1L);
    install(config(rule("r", (String) null, q, instance("rq", "quota", null))));

    assertThat(decider.check(Attributes.empty()).usedQuota()).isTrue();
    assertThat(decider.check(Attributes.empty()).usedQuota()).isTrue();
    assertThat(grant.calls).hasValue(2);
    assertThat(cache.stats().writes()).isEqualTo(1);
    assertThat(cache.stats().hits()).isEqualTo(1);
  }

  @Test
  void configVersionChangeMisses() {
    HandlerConfig h = handler("h", verdict, Verdict.allow(Duration.ofMinutes(1), -1));
    PolicyConfig config = config(rule("r", (String) null, h, instance("i", "checknothing", null)));
    install(config);
    decider.check(Attributes.empty());
    decider.check(Attributes.empty());
    assertThat(verdict.calls).hasValue(1);

    install(config);
    decider.check(Attributes.empty());
    assertThat(verdict.calls).hasValue(2);
    assertThat(cache.stats().hits()).isEqualTo(1);
    assertThat(cache.stats().misses()).isEqualTo(2);
    decider.check(Attributes.empty());
    assertThat(verdict.calls).hasValue(2);
  }

  @Test
  void denialsAreCached() {
    HandlerConfig h = handler("h", verdict, Verdict.deny(Duration.ofMinutes(1), 100));
    install(config(rule("r", (String) null, h, instance("i", "checknothing", null))));

    Decision d = decider.check(Attributes.empty());
    assertThat(d.status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(d.decidingHandler()).isEqualTo("h");
    assertThat(decider.check(Attributes.empty())).isSameAs(d);
    assertThat(verdict.calls).hasValue(1);
  }

  @Test
  void zeroUseCountIsNotCached() {
    install(allowAll(Verdict.allow(Duration.ofMinutes(1), 0)));
    decider.check(Attributes.empty());
    decider.check(Attributes.empty());
    assertThat(cache.stats().writes()).isZero();
    assertThat(cache.stats().misses()).isEqualTo(2);
  }

  @Test
  void evaluationThatListsNamesIsNotCached() {
    Expression listsNames =
        new Expression() {
          @Override
          public String text() {
            return "names";
          }

          @Override
          public ValueType type() {
            return ValueType.BOOL;
          }

          @Override
          public Object evaluate(Attributes attributes) {
            return attributes.names().contains("source.principal");
          }
        };
    HandlerConfig h = handler("h", verdict, Verdict.deny(Duration.ofMinutes(1), -1));
    install(config(rule("r", listsNames, h, instance("i", "checknothing", null))));

    assertThat(decider.check(Attributes.empty()).allowed()).isTrue();
    assertThat(decider.check(MapAttributes.of(Map.of("source.principal", "x"))).allowed()).isFalse();
    assertThat(cache.stats().writes()).isZero();
  }

  @Test
  void manifestIsTheLiveConfigs() {
    install(allowAll(Verdict.allow(Duration.ofMinutes(1), -1)));
    assertThat(decider.manifest().typeOf("request.headers")).isEqualTo(ValueType.STRING_MAP);
  }
}
