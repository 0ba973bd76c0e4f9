package dev.offpath.benchmarks.cache;

import dev.offpath.benchmarks.Policies;
import dev.offpath.benchmarks.Zipf;
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
 * A decision on the twenty-rule policy of {@link Policies#twentyRules()} for a request with twelve
 * headers, mapped as ext_authz maps it, users drawn from a Zipf distribution:
 *
 * <ul>
 *   <li>{@code cacheHit}: every user's decision is in the check cache (the steady state);
 *   <li>{@code cacheMiss}: 65,536 distinct users cycle through a cache of 1,000 entries, so nearly
 *       every lookup misses and the decision is evaluated (with its reads recorded) and stored;
 *   <li>{@code noCache}: the policy engine alone, the work a miss adds the cache's cost to.
 * </ul>
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar CheckCacheBenchmark -prof gc}. The
 * hit ratio of each run is printed at tear-down.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CheckCacheBenchmark {

  static final int MISS_USERS = 1 << 16;

  @Param({"1000"})
  public int users;

  private PolicyStore store;
  private CachingDecider hitDecider;
  private CachingDecider missDecider;
  private Attributes[] hitBags;
  private Attributes[] missBags;

  @State(Scope.Thread)
  public static class Keys {
    Zipf zipf;
    int next;

    @Setup
    public void setUp(CheckCacheBenchmark b) {
      zipf = new Zipf(b.users, 1.1, Thread.currentThread().threadId());
    }
  }

  @Setup
  public void setUp() {
    store = Policies.store(Policies.twentyRules());
    hitDecider =
        CachingDecider.of(
            store, CheckCache.builder(Ticker.system()).maximumEntries(100_000).build());
    missDecider =
        CachingDecider.of(store, CheckCache.builder(Ticker.system()).maximumEntries(1_000).build());
    hitBags = new Attributes[users];
    for (int i = 0; i < users; i++) {
      hitBags[i] = request("user-" + i, i);
      Decision d = hitDecider.check(hitBags[i]);
      if (!d.allowed()) {
        throw new IllegalStateException("benchmark request denied: " + d);
      }
    }
    missBags = new Attributes[MISS_USERS];
    for (int i = 0; i < MISS_USERS; i++) {
      missBags[i] = request("visitor-" + i, i);
    }
  }

  /**
   * The attribute bag ext_authz builds (the slot table of {@link RequestAttributes#of}) for the
   * Check of {@link CheckPathBenchmark#request}: twelve headers, peers, path, service extensions.
   */
  private Attributes request(String user, int n) {
    try {
      return RequestAttributes.of(
          CheckPathBenchmark.request(user, n).getAttributes(),
          store.current().config().manifest(),
          RequestLimits.DEFAULT);
    } catch (InvalidRequestException e) {
      throw new IllegalStateException(e);
    }
  }

  @Benchmark
  public Decision cacheHit(Keys keys) {
    return hitDecider.check(hitBags[keys.zipf.next()]);
  }

  @Benchmark
  public Decision cacheMiss(Keys keys) {
    int i = keys.next;
    keys.next = (i + 1) & (MISS_USERS - 1);
    return missDecider.check(missBags[i]);
  }

  @Benchmark
  public Decision noCache(Keys keys) {
    return store.check(hitBags[keys.zipf.next()]);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    System.out.println();
    System.out.println("hit path:  " + hitDecider.cache().stats());
    System.out.println("miss path: " + missDecider.cache().stats());
    store.close();
  }
}
