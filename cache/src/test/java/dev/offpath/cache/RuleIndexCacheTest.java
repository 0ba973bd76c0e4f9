package dev.offpath.cache;

import static dev.offpath.cache.TestPolicy.config;
import static dev.offpath.cache.TestPolicy.handler;
import static dev.offpath.cache.TestPolicy.instance;
import static dev.offpath.cache.TestPolicy.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.cache.TestPolicy.Verdict;
import dev.offpath.cache.TestPolicy.VerdictAdapter;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.StringMap;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The check cache over policies the rule index files under {@code destination.service.host} and
 * {@code destination.service.name}: a decision from the cache must equal the engine's own for the
 * same request, over many random requests (hosts and names present, absent or unknown, users,
 * methods). The cache keys a decision by the attributes its evaluation read; were the index to read
 * the host or name without recording it, or to record a read the plain evaluation would not make,
 * requests differing only there would share (or split) an entry and get the wrong answer.
 */
class RuleIndexCacheTest {

  private final FakeTicker ticker = new FakeTicker();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final VerdictAdapter verdict = new VerdictAdapter();
  private final PolicyStore store = new PolicyStore(TestPolicy.services(ticker, scheduler, verdict));
  private final CheckCache cache =
      CheckCache.builder(ticker).executor(Runnable::run).hashSeed(7).build();
  private final CachingDecider decider = CachingDecider.of(store, cache);

  @AfterEach
  void stop() {
    store.close();
    scheduler.shutdownNow();
  }

  @Test
  void cachedDecisionsEqualTheEnginesOverIndexedPolicies() throws Exception {
    Random random = new Random(11);
    long checks = 0;
    for (int policy = 0; policy < 8; policy++) {
      List<RuleConfig> rules = new ArrayList<>();
      int n = 20 + random.nextInt(policy % 4 == 0 ? 400 : 60);
      for (int i = 0; i < n; i++) {
        Verdict v =
            random.nextInt(3) == 0
                ? Verdict.allow(Duration.ofMinutes(1), -1)
                : Verdict.deny(Duration.ofMinutes(1), -1);
        rules.add(
            rule(
                "r" + i,
                match(random),
                handler("h" + i, verdict, v),
                instance("i" + i, "checknothing", null)));
      }
      store.install(config(rules.toArray(RuleConfig[]::new)));
      for (int r = 0; r < 1500; r++) {
        Attributes request = request(random);
        Decision cached = decider.check(request);
        Decision engine = store.check(request);
        assertThat(cached.status()).as("policy %d, %s", policy, request).isEqualTo(engine.status());
        assertThat(cached.requestHeaderMutations()).isEqualTo(engine.requestHeaderMutations());
        checks++;
      }
    }
    assertThat(checks).isEqualTo(12_000);
    assertThat(cache.stats().hits()).isGreaterThan(3_000);
  }

  private static String value(Random r, String prefix) {
    return prefix + r.nextInt(5);
  }

  private static String match(Random r) {
    String host = "destination.service.host == \"" + value(r, "h") + "\"";
    String name = "destination.service.name == \"" + value(r, "n") + "\"";
    String user = "request.headers[\"x-user\"] == \"" + value(r, "u") + "\"";
    return switch (r.nextInt(8)) {
      case 0 -> host;
      case 1 -> host + " && " + user;
      case 2 -> name + " && " + user;
      case 3 -> host + " || destination.service.host == \"" + value(r, "h") + "\"";
      case 4 -> user + " && " + host; // not indexable
      case 5 -> "request.method == \"POST\" && " + name; // indexed under the method
      case 6 -> null;
      default -> "(source.namespace | \"x\") == \"" + value(r, "s") + "\""; // not indexable
    };
  }

  private static Attributes request(Random r) {
    Map<String, Object> m = new HashMap<>();
    if (r.nextInt(6) > 0) {
      m.put("destination.service.host", value(r, "h"));
    }
    if (r.nextInt(6) > 0) {
      m.put("destination.service.name", value(r, "n"));
    }
    if (r.nextBoolean()) {
      m.put("request.method", r.nextBoolean() ? "POST" : "GET");
    }
    if (r.nextBoolean()) {
      m.put("source.namespace", value(r, "s"));
    }
    if (r.nextInt(5) > 0) {
      m.put("request.headers", StringMap.of(Map.of("x-user", value(r, "u"), "x-other", "o")));
    }
    return MapAttributes.of(m);
  }
}
