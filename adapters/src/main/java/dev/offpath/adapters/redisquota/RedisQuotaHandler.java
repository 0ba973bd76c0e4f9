package dev.offpath.adapters.redisquota;

import dev.offpath.adapters.quota.QuotaDimensions;
import dev.offpath.adapters.redisquota.RedisQuotaConfig.Algorithm;
import dev.offpath.adapters.redisquota.RedisQuotaConfig.Quota;
import dev.offpath.adapters.redisquota.RedisQuotaConfig.QuotaOverride;
import dev.offpath.cache.quota.PrefetchOptions;
import dev.offpath.cache.quota.QuotaBackend;
import dev.offpath.cache.quota.QuotaPoolStats;
import dev.offpath.cache.quota.QuotaPools;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.CircuitBreaker;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.MeteredHandler;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.QuotaHandler;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.AttributeValues;
import dev.offpath.core.trace.TraceSpan;
import dev.offpath.core.trace.Tracer;
import dev.offpath.core.time.Ticker;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Allocates {@code redisquota} units from local token pools refilled from Redis.
 *
 * <p><b>Keys.</b> The instance name picks the quota, its dimensions the first matching override
 * (else the quota's own {@code maxAmount}) and the Redis key: {@code
 * offpath:quota:{name:dimensions}:fixed} or {@code …:rolling}, the same in every Offpath instance,
 * so they share one global limit. The braces are a Redis Cluster hash tag: each quota key is one
 * Redis key (a counter, or a hash of buckets), so every script touches one slot and stays atomic,
 * and the keys of a quota spread over the cluster by their dimensions ('{' and '}' in a dimension
 * are escaped, so the tag always spans them all). Each key has its own {@link
 * dev.offpath.cache.quota.QuotaPool} (mixerclient's prefetch: see there), so a check takes a token
 * locally and never waits for Redis; the pool asks Redis for a batch ahead of demand, and one
 * script call serves many checks. A dry-run rule's shadow handler ({@code
 * AdapterEnvironment.dryRun()}) counts under {@code offpath:dry-run:quota:{...}} instead, never
 * spending the real keys.
 *
 * <p><b>Failure.</b> Every Redis call is bounded by {@code timeout} and goes through a {@link
 * CircuitBreaker} of the key's failure domain ({@link RedisLink#domain}: the cluster node that owns
 * its slot, else the whole deployment); a refused, failed or timed-out call is a failed prefetch, which the pool settles
 * by the handler's {@code failurePolicy}: FAIL_OPEN grants tokens valid for {@code
 * failOpenValidity} and passes checks the pool cannot cover until Redis answers again; FAIL_CLOSE
 * grants nothing, so checks are denied once the tokens already granted are spent. When Redis is
 * back, the breaker's probe succeeds and the pools refill from it again. A failover the link sees
 * (Sentinel names a new master, a cluster replica is promoted) lets every open breaker probe at
 * once, so accounting resumes on the new master without waiting out {@code
 * circuitBreakerOpenDuration}.
 *
 * <p><b>Overshoot.</b> A pool that is empty in OPEN mode grants a prefetch optimistically while
 * the answer is in flight; what Redis then refuses was already spent. FAIL_CLOSE: one such
 * prefetch at a time, so an instance passes at most its share of {@code maxAmount} plus one
 * prefetch amount (at least 10) per pool per round trip in which its pool ran dry. FAIL_OPEN: one
 * per check that finds the pool empty, so no check is denied for want of an answer (a Redis killed
 * a moment ago looks healthy until the connection is seen closed); the overshoot is what Redis
 * refuses of them, at most one round trip's demand ({@code
 * offpath_redisquota_pool_overshoot_tokens_total}; see {@link dev.offpath.cache.quota.QuotaPool}).
 *
 * <p>Amounts above one are all or nothing; {@code bestEffort} gets the same answer (the runtime
 * asks one unit per check). Deduplication ids are not used: a check is never retried, and
 * prefetches are not idempotent in Redis either (Mixer's scripts took an id but did not use it).
 *
 * <p>Creation waits up to {@value #INITIAL_CONNECT_SECONDS} s for the first connection (on the
 * config thread); after that, nothing waits for Redis. Thread-safe and non-blocking. Pools idle
 * for {@value #POOL_IDLE_MINUTES} minutes are dropped.
 */
final class RedisQuotaHandler implements QuotaHandler, MeteredHandler {

  static final long MAX_POOLS = 100_000;
  static final int POOL_IDLE_MINUTES = 10;
  static final int INITIAL_CONNECT_SECONDS = 1;
  static final Duration INITIAL_CONNECT_WAIT = Duration.ofSeconds(INITIAL_CONNECT_SECONDS);

  private static final Logger log = LoggerFactory.getLogger(RedisQuotaHandler.class);

  private final String handlerName;
  private final Tracer tracer;
  private final Map<String, CompiledQuota> quotas;
  static final int MAX_BREAKERS = 1024;

  private final RedisLink link;
  private final Ticker ticker;
  private final int breakerFailures;
  private final Duration breakerOpenDuration;
  private final ConcurrentHashMap<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
  private final LongAdder breakersOpenedBefore = new LongAdder();
  private final QuotaPools<PoolKey> pools;

  private final LongAdder calls = new LongAdder();
  private final LongAdder callErrors = new LongAdder();
  private final LongAdder callTimeouts = new LongAdder();
  private final LongAdder callsNotConnected = new LongAdder();
  private final LongAdder callsRefused = new LongAdder();

  RedisQuotaHandler(RedisQuotaConfig config, AdapterEnvironment environment) {
    this.handlerName = environment.handlerName();
    this.tracer = environment.tracer();
    Map<String, CompiledQuota> byName = new HashMap<>();
    for (Quota q : config.quotas()) {
      byName.put(q.name(), new CompiledQuota(q, environment.dryRun()));
    }
    this.quotas = Map.copyOf(byName);
    this.ticker = environment.ticker();
    this.breakerFailures = config.breakerFailures();
    this.breakerOpenDuration = config.breakerOpenDuration();
    LinkSupport.Settings settings =
        new LinkSupport.Settings(
            config.connectionPoolSize(),
            config.timeout(),
            config.breakerOpenDuration(),
            config.caFile());
    RedisEndpoint endpoint = config.endpoint();
    this.link =
        endpoint.mode() == RedisEndpoint.Mode.CLUSTER
            ? new ClusterLink(
                endpoint, settings, ticker, environment.scheduler(), this::onFailover)
            : new StandaloneLink(
                endpoint, settings, ticker, environment.scheduler(), this::onFailover);
    try {
      if (!link.awaitConnected(INITIAL_CONNECT_WAIT)) {
        log.warn(
            "redisquota handler {}: Redis at {} is not reachable; following {} until it is",
            handlerName,
            endpoint.display(),
            config.failurePolicy());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    PrefetchOptions defaults = PrefetchOptions.defaults();
    PrefetchOptions options =
        new PrefetchOptions(
            defaults.predictWindow(),
            defaults.minPrefetch(),
            defaults.closeWait(),
            defaults.provisionalValidity(),
            // Lettuce times a call out after `timeout`; the pool's own check is a backstop.
            config.timeout().multipliedBy(2),
            config.failurePolicy(),
            config.failOpenValidity());
    this.pools =
        new QuotaPools<>(
            key ->
                new QuotaBackend() {
                  @Override
                  public CompletableFuture<QuotaResult> allocate(long amount) {
                    return fetch(key, amount);
                  }

                  @Override
                  public boolean healthy() {
                    return link.connected() > 0
                        && breaker(key.redisKey).state() == CircuitBreaker.State.CLOSED;
                  }
                },
            environment.ticker(),
            options,
            MAX_POOLS,
            Duration.ofMinutes(POOL_IDLE_MINUTES));
  }

  @Override
  public QuotaResult allocate(Instance instance, QuotaArgs args) {
    CompiledQuota quota = quotas.get(instance.name());
    if (quota == null) {
      return new QuotaResult(
          PolicyStatus.of(
              StatusCode.INTERNAL,
              "redisquota handler "
                  + handlerName
                  + " has no quota named '"
                  + instance.name()
                  + "'"),
          0,
          Duration.ZERO);
    }
    TreeMap<String, String> dimensions = QuotaDimensions.of(instance);
    PoolKey key = quota.key(dimensions);
    if (pools.check(key, args.amount())) {
      return QuotaResult.granted(args.amount(), quota.quota.validDuration());
    }
    return new QuotaResult(
        PolicyStatus.of(
            StatusCode.RESOURCE_EXHAUSTED,
            "quota "
                + quota.quota.name()
                + " exhausted ("
                + key.maxAmount
                + " per "
                + AttributeValues.toText(quota.quota.validDuration())
                + ")"),
        0,
        Duration.ZERO);
  }

  /**
   * One prefetch: a script call for {@code amount} tokens of {@code key}'s limit, traced as {@code
   * redisquota.prefetch} (a child of the Check that triggered it, ended when Redis answers).
   */
  private CompletableFuture<QuotaResult> fetch(PoolKey key, long amount) {
    CircuitBreaker breaker = breaker(key.redisKey);
    TraceSpan span = tracer.start("redisquota.prefetch");
    if (span.recording()) {
      span.attribute("offpath.handler", handlerName)
          .attribute("offpath.quota", key.quota.quota.name())
          .attribute("offpath.quota.asked", amount);
    }
    if (!breaker.tryAcquire()) {
      callsRefused.increment();
      span.error("circuit breaker open").end();
      return CompletableFuture.failedFuture(
          new RedisConnectionException("circuit breaker open for " + handlerName));
    }
    calls.increment();
    CompletableFuture<List<Object>> answer;
    try {
      answer = key.quota.call(link, key, amount);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    return answer.handle(
        (result, error) -> {
          if (error != null) {
            Throwable cause = LinkSupport.unwrap(error);
            breaker.onFailure();
            if (cause instanceof RedisCommandTimeoutException) {
              callTimeouts.increment();
            } else if (cause instanceof RedisConnectionException) {
              callsNotConnected.increment();
            } else {
              callErrors.increment();
            }
            span.error(cause.toString()).end();
            throw new CompletionException(cause);
          }
          breaker.onSuccess();
          QuotaResult parsed;
          try {
            parsed = parse(result);
          } catch (RuntimeException e) {
            span.error(e.toString()).end();
            throw e;
          }
          span.attribute("offpath.quota.granted", parsed.granted()).end();
          return parsed;
        });
  }

  /** The breaker of {@code redisKey}'s failure domain. */
  private CircuitBreaker breaker(String redisKey) {
    String domain = link.domain(redisKey);
    CircuitBreaker b = breakers.get(domain);
    if (b != null) {
      return b;
    }
    if (breakers.size() >= MAX_BREAKERS) {
      // Node ids of a cluster replaced many times over: start afresh rather than grow.
      synchronized (breakers) {
        if (breakers.size() >= MAX_BREAKERS) {
          breakers.values().forEach(old -> breakersOpenedBefore.add(old.openedCount()));
          breakers.clear();
        }
      }
    }
    return breakers.computeIfAbsent(
        domain, d -> new CircuitBreaker(ticker, breakerFailures, breakerOpenDuration));
  }

  /** A new master: open breakers probe now, so accounting resumes on it at once. */
  private void onFailover() {
    log.info(
        "redisquota handler {}: failover seen, {} failover(s) so far", handlerName,
        link.failovers());
    breakers.values().forEach(CircuitBreaker::probeNow);
  }

  private static QuotaResult parse(List<Object> result) {
    if (result.size() != 2
        || !(result.get(0) instanceof Long granted)
        || !(result.get(1) instanceof Long validityMillis)) {
      throw new IllegalStateException("unexpected answer from the quota script: " + result);
    }
    return new QuotaResult(
        PolicyStatus.OK, Math.max(0, granted), Duration.ofMillis(Math.max(1, validityMillis)));
  }

  @Override
  public void collect(MetricSink sink) {
    String help = "Calls from redisquota handlers to Redis, by result.";
    long total = calls.sum();
    long errors = callErrors.sum();
    long timeouts = callTimeouts.sum();
    long notConnected = callsNotConnected.sum();
    sink.counter(
        "offpath_redisquota_calls", help, total - errors - timeouts - notConnected, "result", "ok");
    sink.counter("offpath_redisquota_calls", help, errors, "result", "error");
    sink.counter("offpath_redisquota_calls", help, timeouts, "result", "timeout");
    sink.counter("offpath_redisquota_calls", help, notConnected, "result", "not_connected");
    sink.counter(
        "offpath_redisquota_calls", help, callsRefused.sum(), "result", "circuit_open");
    long opened = breakersOpenedBefore.sum();
    int open = 0;
    for (CircuitBreaker b : breakers.values()) {
      opened += b.openedCount();
      if (b.state() != CircuitBreaker.State.CLOSED) {
        open++;
      }
    }
    sink.counter(
        "offpath_redisquota_circuit_opened",
        "Times a circuit breaker of a redisquota handler opened.",
        opened);
    sink.gauge(
        "offpath_redisquota_circuit_open",
        "Circuit breakers open or probing (one per cluster master; one for a single Redis).",
        open);
    RedisLink.Topology topology = link.topology();
    String nodesHelp = "Redis nodes a redisquota handler sees up, by role.";
    sink.gauge("offpath_redisquota_nodes", nodesHelp, topology.masters(), "role", "master");
    sink.gauge("offpath_redisquota_nodes", nodesHelp, topology.replicas(), "role", "replica");
    sink.counter(
        "offpath_redisquota_failovers",
        "Failovers a redisquota handler saw: a Sentinel switch or a cluster replica promoted.",
        link.failovers());
    sink.gauge(
        "offpath_redisquota_connections",
        "Open connections from a redisquota handler to Redis.",
        link.connected());
    sink.gauge("offpath_redisquota_pools", "Live quota token pools.", pools.size());
    sink.gauge(
        "offpath_redisquota_pool_prefetches_in_flight",
        "Prefetches sent to Redis and not yet answered.",
        pools.inFlight());
    QuotaPoolStats s = pools.stats();
    sink.counter(
        "offpath_redisquota_checks", "Quota checks, by result.", s.passes(), "result", "pass");
    sink.counter(
        "offpath_redisquota_checks", "Quota checks, by result.", s.denials(), "result", "deny");
    s.collectTokens(sink, "offpath_redisquota_pool_", "Redis");
  }

  QuotaPools<?> pools() {
    return pools;
  }

  /** One script call for {@code instance}'s key, outside any pool (tests the scripts). */
  CompletableFuture<QuotaResult> fetch(Instance instance, long amount) {
    CompiledQuota quota = quotas.get(instance.name());
    if (quota == null) {
      throw new IllegalArgumentException("no quota named " + instance.name());
    }
    return fetch(quota.key(QuotaDimensions.of(instance)), amount);
  }

  /** The state of the breaker that guards {@code instance}'s key. */
  CircuitBreaker.State breakerState(Instance instance) {
    CompiledQuota quota = quotas.get(instance.name());
    if (quota == null) {
      throw new IllegalArgumentException("no quota named " + instance.name());
    }
    return breaker(quota.key(QuotaDimensions.of(instance)).redisKey).state();
  }

  /** The Redis key of {@code instance} (tests). */
  String redisKey(Instance instance) {
    CompiledQuota quota = quotas.get(instance.name());
    if (quota == null) {
      throw new IllegalArgumentException("no quota named " + instance.name());
    }
    return quota.key(QuotaDimensions.of(instance)).redisKey;
  }

  RedisLink link() {
    return link;
  }

  /** Connections to Redis that are up now. */
  int connections() {
    return link.connected();
  }

  @Override
  public void close() {
    link.close();
  }

  /** A quota with its script and its overrides. */
  private static final class CompiledQuota {
    final Quota quota;
    final String script;
    final String sha;
    final String keyPrefix;
    final String keySuffix;

    CompiledQuota(Quota quota, boolean dryRun) {
      this.quota = quota;
      this.script =
          quota.algorithm() == Algorithm.FIXED_WINDOW
              ? RedisScripts.FIXED_WINDOW
              : RedisScripts.ROLLING_WINDOW;
      this.sha = RedisScripts.sha1(script);
      StringBuilder prefix = new StringBuilder(dryRun ? "offpath:dry-run:quota:{" : "offpath:quota:{");
      escape(prefix, quota.name());
      this.keyPrefix = prefix.append(':').toString();
      this.keySuffix = quota.algorithm() == Algorithm.FIXED_WINDOW ? "}:fixed" : "}:rolling";
    }

    PoolKey key(TreeMap<String, String> dimensions) {
      long max = quota.maxAmount();
      for (QuotaOverride o : quota.overrides()) {
        if (QuotaDimensions.matches(o.dimensions(), dimensions)) {
          max = o.maxAmount();
          break;
        }
      }
      StringBuilder key = new StringBuilder(keyPrefix);
      boolean first = true;
      for (Map.Entry<String, String> e : dimensions.entrySet()) {
        if (!first) {
          key.append(',');
        }
        first = false;
        escape(key, e.getKey());
        key.append('=');
        escape(key, e.getValue());
      }
      return new PoolKey(key.append(keySuffix).toString(), max, this);
    }

    CompletableFuture<List<Object>> call(RedisLink link, PoolKey key, long amount) {
      String[] keys = {key.redisKey};
      if (quota.algorithm() == Algorithm.FIXED_WINDOW) {
        return link.eval(
            script,
            sha,
            keys,
            Long.toString(key.maxAmount),
            Long.toString(Math.max(1, quota.validDuration().toMillis())),
            Long.toString(amount));
      }
      return link.eval(
          script,
          sha,
          keys,
          Long.toString(key.maxAmount),
          Long.toString(micros(quota.validDuration())),
          Long.toString(micros(quota.bucketDuration())),
          Long.toString(amount));
    }

    private static long micros(Duration d) {
      return Math.max(1, d.toNanos() / 1_000);
    }

    private static void escape(StringBuilder out, String s) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case ',', '=', '\\' -> out.append('\\').append(c);
          // Hash tag delimiters: escaped so the tag spans all the dimensions.
          case '{' -> out.append("\\(");
          case '}' -> out.append("\\)");
          default -> out.append(c);
        }
      }
    }
  }

  /** A pool's identity: its Redis key (which determines the limit, so it alone is compared). */
  private static final class PoolKey {
    final String redisKey;
    final long maxAmount;
    final CompiledQuota quota;

    PoolKey(String redisKey, long maxAmount, CompiledQuota quota) {
      this.redisKey = redisKey;
      this.maxAmount = maxAmount;
      this.quota = quota;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof PoolKey k && k.redisKey.equals(redisKey);
    }

    @Override
    public int hashCode() {
      return redisKey.hashCode();
    }
  }
}
