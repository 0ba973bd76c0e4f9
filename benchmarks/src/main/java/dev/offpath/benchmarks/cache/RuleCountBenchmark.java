package dev.offpath.benchmarks.cache;

import dev.offpath.benchmarks.Policies;
import dev.offpath.benchmarks.extauthz.CheckPathBenchmark;
import dev.offpath.cache.CachingDecider;
import dev.offpath.cache.CheckCache;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.time.Ticker;
import dev.offpath.envoy.attributes.InvalidRequestException;
import dev.offpath.envoy.attributes.RequestAttributes;
import dev.offpath.envoy.attributes.RequestLimits;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A check-cache miss as the policy grows: {@link Policies#generatedRules} with 20, 200 and 2,000
 * rules (deniers on a service host and a user header, an IP blacklist, a user-agent whitelist), for
 * the twelve-header request of {@link CheckPathBenchmark}, 65,536 users cycling through a
 * 1,000-entry cache so that nearly every check misses, evaluates (recording its reads) and stores.
 * {@code match=hostFirst} writes each denier host condition first, which the rule index files under
 * the host; {@code match=userFirst} writes the same conditions the other way round, which it cannot
 * index, so every rule's match runs, as in Mixer: the same decisions at the unindexed cost.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RuleCountBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RuleCountBenchmark {

  static final int USERS = 1 << 16;

  @Param({"20", "200", "2000"})
  public int rules;

  @Param({"hostFirst", "userFirst"})
  public String match;

  private PolicyStore store;
  private CachingDecider decider;
  private Attributes[] bags;
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws InvalidRequestException {
    store = Policies.store(Policies.generatedRules(rules, match.equals("hostFirst")));
    decider =
        CachingDecider.of(store, CheckCache.builder(Ticker.system()).maximumEntries(1_000).build());
    bags = new Attributes[USERS];
    for (int i = 0; i < USERS; i++) {
      bags[i] =
          RequestAttributes.of(
              CheckPathBenchmark.request("visitor-" + i, i).getAttributes(),
              store.current().config().manifest(),
              RequestLimits.DEFAULT);
    }
    Decision d = decider.check(bags[0]);
    if (!d.allowed()) {
      throw new IllegalStateException("benchmark request denied: " + d);
    }
    Decision denied =
        store.check(
            RequestAttributes.of(
                CheckPathBenchmark.request("blocked-0", 0).getAttributes(),
                store.current().config().manifest(),
                RequestLimits.DEFAULT));
    if (denied.allowed()) {
      throw new IllegalStateException("the reviews denier did not deny its user: " + denied);
    }
  }

  @Benchmark
  public Decision miss() {
    int i = next;
    next = (i + 1) & (USERS - 1);
    return decider.check(bags[i]);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    System.out.println();
    System.out.println("miss path: " + decider.cache().stats());
    store.close();
  }
}
