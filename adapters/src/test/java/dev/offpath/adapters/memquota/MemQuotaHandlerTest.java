package dev.offpath.adapters.memquota;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.adapters.testing.Samples;
import dev.offpath.adapters.testing.TestEnvironment;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.IpAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemQuotaHandlerTest {

  private static final String RQ = "requestcount.quota.istio-system";

  private final TestEnvironment env = new TestEnvironment();
  private final AtomicInteger ids = new AtomicInteger();
  private MemQuotaHandler handler;

  @AfterEach
  void tearDown() {
    if (handler != null) {
      handler.close();
    }
    env.close();
  }

  private MemQuotaHandler handler(Map<String, ?> params) throws Exception {
    MemQuotaFactory factory = new MemQuotaFactory();
    handler = (MemQuotaHandler) factory.create(factory.parse(Params.of(params)), env);
    return handler;
  }

  private MemQuotaHandler handler(long maxAmount, String validDuration) throws Exception {
    return handler(
        Map.of(
            "quotas",
            List.of(Map.of("name", RQ, "maxAmount", maxAmount, "validDuration", validDuration))));
  }

  private static Instance instance(String name, Object... dimensions) {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (int i = 0; i < dimensions.length; i += 2) {
      fields.put("dimensions." + dimensions[i], dimensions[i + 1]);
    }
    return new Instance(name, "quota", fields);
  }

  private QuotaResult take(Instance instance, long amount) {
    return handler.allocate(instance, new QuotaArgs("id-" + ids.incrementAndGet(), amount, false));
  }

  private long granted(Instance instance, int times) {
    long total = 0;
    for (int i = 0; i < times; i++) {
      total += take(instance, 1).granted();
    }
    return total;
  }

  @Test
  void maxAmountGrantedThenDenied() throws Exception {
    handler(3, "1s");
    Instance rq = instance(RQ, "user", "alice");
    for (int i = 0; i < 3; i++) {
      assertThat(take(rq, 1)).isEqualTo(QuotaResult.granted(1, Duration.ofSeconds(1)));
    }
    assertThat(take(rq, 1))
        .isEqualTo(
            new QuotaResult(
                PolicyStatus.of(
                    StatusCode.RESOURCE_EXHAUSTED, "quota " + RQ + " exhausted (3 per 1s)"),
                0,
                Duration.ZERO));
  }

  @Test
  void windowRollsAfterValidDuration() throws Exception {
    handler(2, "1s");
    Instance rq = instance(RQ);
    assertThat(granted(rq, 2)).isEqualTo(2);
    env.ticker.advanceMillis(500);
    assertThat(take(rq, 1).granted()).isZero();
    env.ticker.advanceMillis(499);
    assertThat(take(rq, 1).granted()).isZero();
    env.ticker.advanceMillis(1);
    assertThat(granted(rq, 3)).isEqualTo(2);
  }

  @Test
  void windowFreesOnlyWhatLeftIt() throws Exception {
    handler(4, "1s");
    Instance rq = instance(RQ);
    assertThat(granted(rq, 2)).isEqualTo(2);
    env.ticker.advanceMillis(600);
    assertThat(granted(rq, 2)).isEqualTo(2);
    env.ticker.advanceMillis(400);
    // the first two left the window, the later two are still in it
    assertThat(granted(rq, 3)).isEqualTo(2);
    env.ticker.advanceMillis(600);
    assertThat(granted(rq, 3)).isEqualTo(2);
  }

  @Test
  void allOrNothingUnlessBestEffort() throws Exception {
    handler(5, "1s");
    Instance rq = instance(RQ);
    assertThat(take(rq, 3).granted()).isEqualTo(3);
    assertThat(take(rq, 3).granted()).isZero();
    QuotaResult partial = handler.allocate(rq, new QuotaArgs("be-1", 3, true));
    assertThat(partial).isEqualTo(QuotaResult.granted(2, Duration.ofSeconds(1)));
    QuotaResult none = handler.allocate(rq, new QuotaArgs("be-2", 3, true));
    assertThat(none.granted()).isZero();
    assertThat(none.status().code()).isEqualTo(StatusCode.RESOURCE_EXHAUSTED);
  }

  @Test
  void poolWithoutValidDurationNeverRefills() throws Exception {
    handler(Map.of("quotas", List.of(Map.of("name", RQ, "maxAmount", 2))));
    Instance rq = instance(RQ);
    assertThat(take(rq, 1)).isEqualTo(QuotaResult.granted(1, Duration.ZERO));
    assertThat(take(rq, 1).granted()).isEqualTo(1);
    env.ticker.advance(Duration.ofDays(1));
    assertThat(take(rq, 1).status())
        .isEqualTo(
            PolicyStatus.of(
                StatusCode.RESOURCE_EXHAUSTED, "quota " + RQ + " exhausted (2 in total)"));
  }

  @Test
  void separateDimensionsAreIndependent() throws Exception {
    handler(2, "1s");
    assertThat(granted(instance(RQ, "user", "alice"), 5)).isEqualTo(2);
    assertThat(granted(instance(RQ, "user", "bob"), 5)).isEqualTo(2);
    assertThat(granted(instance(RQ, "user", "bob", "path", "/a"), 5)).isEqualTo(2);
    assertThat(granted(instance(RQ), 5)).isEqualTo(2);
    assertThat(handler.bucketCount()).isEqualTo(4);
  }

  @Test
  void firstMatchingOverrideWins() throws Exception {
    handler(Samples.handlerParams("mixer-rule-productpage-ratelimit.yaml", "memquota").get(0));
    // destination reviews: 1 per 5s, whatever the source
    Instance reviews = instance(RQ, "destination", "reviews", "source", "10.28.11.20");
    assertThat(granted(reviews, 10)).isEqualTo(1);
    // productpage from 10.28.11.20: 500 per 1s (second override), typed as an IP address
    Instance special =
        instance(RQ, "destination", "productpage", "source", IpAddress.parse("10.28.11.20"));
    assertThat(granted(special, 600)).isEqualTo(500);
    // productpage from anyone else: 2 per 5s (third override)
    Instance other = instance(RQ, "destination", "productpage", "source", "10.0.0.1");
    assertThat(granted(other, 10)).isEqualTo(2);
    // no override: 500 per 1s
    Instance details = instance(RQ, "destination", "details", "source", "10.0.0.1");
    assertThat(granted(details, 600)).isEqualTo(500);
    // the overrides' windows: reviews refills after 5s, not after 1s
    env.ticker.advance(Duration.ofSeconds(1));
    assertThat(granted(reviews, 1)).isZero();
    assertThat(granted(details, 1)).isEqualTo(1);
    env.ticker.advance(Duration.ofSeconds(4));
    assertThat(granted(reviews, 2)).isEqualTo(1);
  }

  @Test
  void overrideMatchesNonStringDimensionsByTheirText() throws Exception {
    handler(
        Map.of(
            "quotas",
            List.of(
                Map.of(
                    "name",
                    RQ,
                    "maxAmount",
                    10,
                    "validDuration",
                    "1s",
                    "overrides",
                    List.of(
                        Map.of(
                            "dimensions",
                            Map.of("code", "404", "ratio", "0.5"),
                            "maxAmount",
                            1))))));
    assertThat(granted(instance(RQ, "code", 404L, "ratio", 0.5), 5)).isEqualTo(1);
    assertThat(granted(instance(RQ, "code", 404L), 20)).isEqualTo(10);
  }

  @Test
  void unknownQuotaNameIsAnError() throws Exception {
    handler(2, "1s");
    QuotaResult result = take(instance("other.quota.istio-system"), 1);
    assertThat(result)
        .isEqualTo(
            new QuotaResult(
                PolicyStatus.of(
                    StatusCode.INTERNAL,
                    "memquota handler h.istio-system has no quota named"
                        + " 'other.quota.istio-system'"),
                0,
                Duration.ZERO));
  }

  @Test
  void deduplicationReturnsTheEarlierResult() throws Exception {
    handler(
        Map.of(
            "quotas",
            List.of(Map.of("name", RQ, "maxAmount", 2, "validDuration", "10s")),
            "minDeduplicationDuration",
            "2s"));
    Instance rq = instance(RQ);
    QuotaArgs args = new QuotaArgs("dup", 1, false);
    assertThat(handler.allocate(rq, args))
        .isEqualTo(QuotaResult.granted(1, Duration.ofSeconds(10)));
    env.ticker.advanceMillis(1500);
    // replayed: nothing more allocated, validity counts down from the first answer
    assertThat(handler.allocate(rq, args))
        .isEqualTo(QuotaResult.granted(1, Duration.ofMillis(8500)));
    assertThat(take(rq, 1).granted()).isEqualTo(1);
    assertThat(take(rq, 1).granted()).isZero();
    // a denial is remembered too
    QuotaArgs denied = new QuotaArgs("dup-denied", 1, false);
    assertThat(handler.allocate(rq, denied).granted()).isZero();
    env.ticker.advanceMillis(500);
    // past minDeduplicationDuration the id counts as new
    assertThat(handler.allocate(rq, args).granted()).isZero();
    env.ticker.advance(Duration.ofSeconds(10));
    assertThat(handler.allocate(rq, denied).granted()).isEqualTo(1);
  }

  @Test
  void deduplicationIsPerInstance() throws Exception {
    handler(
        Map.of(
            "quotas",
            List.of(
                Map.of("name", "a.quota.ns", "maxAmount", 1, "validDuration", "1s"),
                Map.of("name", "b.quota.ns", "maxAmount", 1, "validDuration", "1s"))));
    QuotaArgs args = new QuotaArgs("req-1", 1, false);
    assertThat(handler.allocate(instance("a.quota.ns"), args).granted()).isEqualTo(1);
    assertThat(handler.allocate(instance("b.quota.ns"), args).granted()).isEqualTo(1);
  }

  @Test
  void emptyDeduplicationIdIsNotDeduplicated() throws Exception {
    handler(5, "1s");
    Instance rq = instance(RQ);
    for (int i = 0; i < 6; i++) {
      handler.allocate(rq, new QuotaArgs("", 1, false));
    }
    assertThat(take(rq, 1).granted()).isZero();
    assertThat(handler.dedupCount()).isEqualTo(1);
  }

  @Test
  void sweepEvictsIdleWindowsAndExpiredDedupEntries() throws Exception {
    handler(2, "1s");
    assertThat(env.scheduler.pending()).isEqualTo(1);
    for (int user = 0; user < 100; user++) {
      take(instance(RQ, "user", "u" + user), 1);
    }
    take(instance(RQ, "user", "busy"), 2);
    assertThat(handler.bucketCount()).isEqualTo(101);
    assertThat(handler.dedupCount()).isEqualTo(101);

    env.ticker.advanceMillis(500);
    take(instance(RQ, "user", "late"), 1);
    env.scheduler.runScheduled();
    assertThat(handler.bucketCount()).isEqualTo(102);

    env.ticker.advanceMillis(500);
    env.scheduler.runScheduled();
    // only the window allocated from at 500ms still holds units
    assertThat(handler.bucketCount()).isEqualTo(1);
    assertThat(handler.dedupCount()).isEqualTo(1);
    assertThat(granted(instance(RQ, "user", "late"), 5)).isEqualTo(1);
    assertThat(granted(instance(RQ, "user", "busy"), 5)).isEqualTo(2);

    handler.close();
    assertThat(env.scheduler.pending()).isZero();
  }

  @Test
  void concurrentRetriesOfOneIdAllocateOnce() throws Exception {
    int maxAmount = 1000;
    handler(maxAmount, "1s");
    int threads = 16;
    int perThread = 500;
    Map<String, List<Long>> answers = new java.util.concurrent.ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < perThread; i++) {
                    // threads 2k and 2k+1 send the same ids at the same time
                    String id = "r" + (i * threads + thread) / 2;
                    long granted =
                        handler
                            .allocate(instance(RQ, "user", "shared"), new QuotaArgs(id, 1, false))
                            .granted();
                    answers
                        .computeIfAbsent(
                            id, k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                        .add(granted);
                    if (i % 50 == 0) {
                      handler.sweep();
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertThat(answers).hasSize(threads * perThread / 2);
      long total = 0;
      for (List<Long> pair : answers.values()) {
        assertThat(pair).hasSize(2);
        assertThat(pair.get(0)).isEqualTo(pair.get(1));
        total += pair.get(0);
      }
      assertThat(total).isEqualTo(maxAmount);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentDistinctRequestsGrantExactlyMaxAmount() throws Exception {
    int maxAmount = 1000;
    handler(maxAmount, "1s");
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Long>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  long total = 0;
                  for (int i = 0; i < 300; i++) {
                    total += take(instance(RQ, "user", "shared"), 1).granted();
                    total +=
                        handler
                            .allocate(instance(RQ, "user", "shared"), new QuotaArgs("", 2, true))
                            .granted();
                    handler.sweep();
                  }
                  return total;
                }));
      }
      start.countDown();
      long total = 0;
      for (Future<Long> f : results) {
        total += f.get(30, TimeUnit.SECONDS);
      }
      assertThat(total).isEqualTo(maxAmount);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aMillionDistinctUsersStayWithinMaxBucketsAndAreCountedAsRefusals() throws Exception {
    for (String validDuration : List.of("1s", "0s")) {
      handler(
          Map.of(
              "maxBuckets", 10_000,
              "quotas", List.of(Map.of("name", RQ, "maxAmount", 5, "validDuration", validDuration))));
      long refusedCalls = 0;
      for (int i = 0; i < 1_000_000; i++) {
        QuotaResult r =
            handler.allocate(instance(RQ, "user", "u" + i), new QuotaArgs("", 1, false));
        if (r.granted() == 0) {
          refusedCalls++;
          assertThat(r.status().message()).isEqualTo("quota " + RQ + ": too many distinct quota keys");
        }
      }
      assertThat(handler.bucketCount()).as(validDuration).isEqualTo(10_000);
      assertThat(handler.refusals()).isEqualTo(990_000).isEqualTo(refusedCalls);

      // Idle buckets go (windows once refilled, pools after idleBucketTimeout, default 10m),
      // counted, and new users get buckets again.
      env.ticker.advance(Duration.ofMinutes(10));
      handler.sweep();
      assertThat(handler.bucketCount()).isZero();
      assertThat(handler.evictions()).isEqualTo(10_000);
      assertThat(take(instance(RQ, "user", "newcomer"), 1).granted()).isEqualTo(1);
      handler.close();
      handler = null;
    }
  }

  @Test
  void aPoolInUseIsKeptUntilItHasBeenIdleForTheTimeout() throws Exception {
    handler(
        Map.of(
            "idleBucketTimeout", "1m",
            "quotas", List.of(Map.of("name", RQ, "maxAmount", 2, "validDuration", "0s"))));
    Instance alice = instance(RQ, "user", "alice");
    assertThat(granted(alice, 3)).isEqualTo(2);
    env.ticker.advance(Duration.ofSeconds(59));
    handler.sweep();
    assertThat(handler.bucketCount()).isEqualTo(1);
    assertThat(granted(alice, 1)).isZero();
    env.ticker.advance(Duration.ofMinutes(1));
    handler.sweep();
    assertThat(handler.bucketCount()).isZero();
    assertThat(granted(alice, 1)).isEqualTo(1);
  }
}
