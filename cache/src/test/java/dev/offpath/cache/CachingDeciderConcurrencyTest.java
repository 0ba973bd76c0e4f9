package dev.offpath.cache;

import static dev.offpath.cache.TestPolicy.SRC;
import static dev.offpath.cache.TestPolicy.expr;
import static dev.offpath.cache.TestPolicy.handler;
import static dev.offpath.cache.TestPolicy.instance;
import static dev.offpath.cache.TestPolicy.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.cache.TestPolicy.Verdict;
import dev.offpath.cache.TestPolicy.VerdictAdapter;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.config.Action;
import dev.offpath.core.config.HandlerConfig;
import dev.offpath.core.config.HeaderOperation;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Several threads check mixed requests through the cache while time moves, entries are evicted for
 * size, use counts run out and the config is reinstalled; every answer must equal the uncached
 * decision of the live engine. Run with full signatures and with signatures cut to a few bits (or
 * none), so that collisions are constant and must never leak a wrong decision.
 */
class CachingDeciderConcurrencyTest {

  private static final int THREADS = 8;
  private static final int REQUESTS_PER_THREAD = 3000;

  private final FakeTicker ticker = new FakeTicker();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final ExecutorService workers = Executors.newFixedThreadPool(THREADS);
  private final VerdictAdapter verdict = new VerdictAdapter();
  private final PolicyStore store = new PolicyStore(TestPolicy.services(ticker, scheduler, verdict));

  @AfterEach
  void stop() {
    workers.shutdownNow();
    store.close();
    scheduler.shutdownNow();
  }

  /** Rules whose reads depend on the values seen, so that requests fall into several shapes. */
  private PolicyConfig policy() {
    HandlerConfig blocked = handler("blocked", verdict, Verdict.deny(Duration.ofMillis(20), 3));
    HandlerConfig users =
        handler(
            "users",
            verdict,
            new Verdict(StatusCode.PERMISSION_DENIED, Duration.ofMinutes(1), -1, Set.of("mallory", "eve")));
    HandlerConfig admin = handler("admin", verdict, Verdict.deny(Duration.ofMillis(50), 7));
    RuleConfig byUser =
        new RuleConfig(
            "users",
            expr("request.headers[\"x-user\"] != \"\""),
            List.of(new Action(users, List.of(instance("user", "listentry", "request.headers[\"x-user\"]")), null)),
            List.of(
                new HeaderOperation(
                    "x-checked-user",
                    List.of(expr("request.headers[\"x-user\"]")),
                    HeaderOperation.Operation.APPEND)),
            List.of(),
            SRC);
    return TestPolicy.config(
        rule("blocked", "(source.principal | \"\") == \"blocked\"", blocked, instance("b", "checknothing", null)),
        byUser,
        rule(
            "admin",
            "destination.port == 8080 && request.path == \"/admin\"",
            admin,
            instance("a", "checknothing", null)));
  }

  private static Attributes request(Random random) {
    Map<String, Object> values = new HashMap<>();
    pick(random, values, "source.principal", "blocked", "ok");
    pick(random, values, "destination.port", 80L, 8080L);
    pick(random, values, "request.path", "/admin", "/x");
    Map<String, String> headers = new HashMap<>();
    String user = pickOne(random, "alice", "bob", "mallory", "eve", "admin");
    if (user != null) {
      headers.put("x-user", user);
    }
    if (random.nextBoolean()) {
      headers.put("x-other", Integer.toString(random.nextInt(10)));
    }
    if (!headers.isEmpty() || random.nextBoolean()) {
      values.put("request.headers", StringMap.of(headers));
    }
    return MapAttributes.of(values);
  }

  private static void pick(Random random, Map<String, Object> values, String name, Object... choices) {
    Object v = pickOne(random, choices);
    if (v != null) {
      values.put(name, v);
    }
  }

  @SafeVarargs
  private static <T> T pickOne(Random random, T... choices) {
    int i = random.nextInt(choices.length + 1);
    return i == choices.length ? null : choices[i];
  }

  @ParameterizedTest
  @ValueSource(longs = {-1L, 0xFL, 0L})
  void cachedDecisionsEqualUncachedOnes(long signatureMask) throws Exception {
    PolicyConfig config = policy();
    store.install(config);
    CheckCache cache =
        CheckCache.builder(ticker)
            .executor(Runnable::run)
            .maximumEntries(64)
            .hashSeed(1)
            .signatureMask(signatureMask)
            .build();
    CachingDecider decider = CachingDecider.of(store, cache);

    CountDownLatch start = new CountDownLatch(1);
    ConcurrentLinkedQueue<String> mismatches = new ConcurrentLinkedQueue<>();
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      done.add(
          workers.submit(
              () -> {
                Random random = new Random(thread);
                start.await();
                for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
                  if (thread == 0 && i % 50 == 0) {
                    ticker.advanceMillis(3);
                  }
                  if (thread == 1 && i % 1000 == 999) {
                    store.install(config);
                  }
                  Attributes a = request(random);
                  Decision cached = decider.check(a);
                  Decision expected = store.current().check(a);
                  if (!cached.equals(expected)) {
                    mismatches.add(a + ": cached " + cached + ", expected " + expected);
                  }
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }

    assertThat(mismatches).isEmpty();
    CheckCacheStats stats = cache.stats();
    assertThat(stats.hits() + stats.misses()).isEqualTo((long) THREADS * REQUESTS_PER_THREAD);
    assertThat(stats.hits()).isPositive();
    assertThat(stats.evictions()).isPositive();
    assertThat(stats.shapes()).isBetween(1, 1000);
  }

  @Test
  void contendedEntryServesExactlyItsUseCount() throws Exception {
    CheckCache cache = CheckCache.builder(ticker).executor(Runnable::run).build();
    Attributes a = MapAttributes.of(Map.of("source.principal", "p"));
    ReferencedAttributes reads = new ReferencedAttributes();
    reads.attribute("source.principal", "p");
    Decision d =
        new Decision(PolicyStatus.OK, Duration.ofMinutes(1), 100, null, null, false, false, List.of(), List.of());
    assertThat(cache.store(1, a, reads, d)).isTrue();

    CountDownLatch start = new CountDownLatch(1);
    List<Future<Integer>> served = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      served.add(
          workers.submit(
              () -> {
                start.await();
                int hits = 0;
                for (int i = 0; i < 50; i++) {
                  if (cache.lookup(1, a) != null) {
                    hits++;
                  }
                }
                return hits;
              }));
    }
    start.countDown();
    int total = 0;
    for (Future<Integer> f : served) {
      total += f.get(60, TimeUnit.SECONDS);
    }
    assertThat(total).isEqualTo(100);
    assertThat(cache.stats().hits()).isEqualTo(100);
    assertThat(cache.stats().misses()).isEqualTo(THREADS * 50 - 100);
    assertThat(cache.stats().evictions()).isEqualTo(1);
  }
}
