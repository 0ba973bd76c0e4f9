package dev.offpath.benchmarks.cache;

import dev.offpath.benchmarks.Zipf;
import dev.offpath.cache.quota.PrefetchOptions;
import dev.offpath.cache.quota.QuotaPools;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.time.Ticker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Taking one token from a quota pool, the per-check cost of a remote quota (redisquota), with keys
 * (quota + dimension values) drawn from a Zipf distribution. The backend answers at once with
 * whatever is asked, so prefetches happen at their natural rate and their bookkeeping is included;
 * the Redis round trip itself is off this path by design.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar QuotaPoolBenchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class QuotaPoolBenchmark {

  @Param({"1000"})
  public int keys;

  private QuotaPools<String> pools;
  private String[] names;

  @State(Scope.Thread)
  public static class Keys {
    Zipf zipf;

    @Setup
    public void setUp(QuotaPoolBenchmark b) {
      zipf = new Zipf(b.keys, 1.1, Thread.currentThread().threadId());
    }
  }

  @Setup
  public void setUp() {
    pools =
        new QuotaPools<>(
            key ->
                amount ->
                    CompletableFuture.completedFuture(
                        QuotaResult.granted(amount, Duration.ofMinutes(1))),
            Ticker.system(),
            PrefetchOptions.defaults(),
            100_000,
            Duration.ofMinutes(10));
    names = new String[keys];
    for (int i = 0; i < keys; i++) {
      names[i] = "offpath:quota:requestcount.instance.istio-system:fixed:user=user-" + i;
    }
  }

  @Benchmark
  public boolean take(Keys k) {
    return pools.check(names[k.zipf.next()], 1);
  }

  @Benchmark
  @Threads(2)
  public boolean takeTwoThreads(Keys k) {
    return pools.check(names[k.zipf.next()], 1);
  }
}
