package dev.offpath.benchmarks.rbac;

import dev.offpath.benchmarks.Policies;
import dev.offpath.benchmarks.Zipf;
import dev.offpath.cache.CachingDecider;
import dev.offpath.cache.CheckCache;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.time.Ticker;
import java.util.Map;
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
 * An RBAC decision through the whole precondition path (rule match, the {@code authorization}
 * instance of Istio's sample, the {@code rbac} handler) with {@code roles} ServiceRoles and as many
 * ServiceRoleBindings in one namespace: role {@code i} grants GET on service {@code svc-i} (one in
 * ten by a prefix pattern, {@code svc-i*}) under a constraint on the destination's {@code app} label,
 * to user {@code sa-i}. Requests go from {@code sa-k} to {@code svc-k} for Zipf-distributed {@code
 * k}, all allowed.
 *
 * <ul>
 *   <li>{@code hit}: every decision is in the check cache (steady state);
 *   <li>{@code miss}: 65,536 distinct requests (distinct paths) cycle through a 1,000-entry cache, so
 *       nearly every lookup misses, is decided with its reads recorded, and stored;
 *   <li>{@code engine}: the decision alone, no cache.
 * </ul>
 *
 * <p>{@code roles} 1 is the baseline: the ratio of 200 to 1 is what the index leaves of a role
 * count's cost. {@code spelling} picks the config.istio.io roles (keys read from the instance) or
 * the rbac.istio.io ones (keys read as attributes).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RbacBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@SuppressWarnings("NullAway.Init") // JMH fills the state in @Setup
public class RbacBenchmark {

  static final int MISS_REQUESTS = 1 << 16;

  @Param({"1", "200"})
  public int roles;

  @Param({"config.istio.io/v1alpha2", "rbac.istio.io/v1alpha1"})
  public String spelling;

  private PolicyStore store;
  private CachingDecider hitDecider;
  private CachingDecider missDecider;
  private Attributes[] hitBags;
  private Attributes[] missBags;

  @State(Scope.Thread)
  @SuppressWarnings("NullAway.Init") // JMH fills the state in @Setup
  public static class Keys {
    Zipf zipf;
    int next;

    @Setup
    public void setUp(RbacBenchmark b) {
      zipf = new Zipf(b.roles, 1.1, Thread.currentThread().threadId());
    }
  }

  /** The rbac wiring of Istio's {@code istio-rbac-enable.yaml} plus the roles and bindings. */
  static String policy(int roles, String apiVersion) {
    boolean attributes = apiVersion.startsWith("rbac.");
    StringBuilder yaml =
        new StringBuilder(
            """
            apiVersion: config.istio.io/v1alpha2
            kind: authorization
            metadata: {name: requestcontext, namespace: istio-system}
            spec:
              subject:
                user: source.user | ""
                groups: ""
                properties:
                  namespace: source.namespace | ""
              action:
                namespace: destination.namespace | ""
                service: destination.service | ""
                method: request.method | ""
                path: request.path | ""
                properties:
                  app: destination.labels["app"] | ""
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: rbac
            metadata: {name: handler, namespace: istio-system}
            spec: {}
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: rule
            metadata: {name: rbaccheck, namespace: istio-system}
            spec:
              match: destination.namespace == "default"
              actions:
              - {handler: handler.rbac, instances: [requestcontext.authorization]}
            """);
    String key = attributes ? "destination.labels[app]" : "app";
    for (int i = 0; i < roles; i++) {
      String service = i % 10 == 9 ? "svc-" + i + "*" : "svc-" + i;
      yaml.append(
          """
          ---
          apiVersion: %1$s
          kind: ServiceRole
          metadata: {name: role-%2$d, namespace: default}
          spec:
            rules:
            - services: ["%3$s"]
              methods: [GET]
              constraints: [{key: "%4$s", values: [app-%2$d]}]
          ---
          apiVersion: %1$s
          kind: ServiceRoleBinding
          metadata: {name: bind-%2$d, namespace: default}
          spec:
            subjects: [{user: "cluster.local/ns/default/sa/sa-%2$d"}]
            roleRef: {kind: ServiceRole, name: role-%2$d}
          """
              .formatted(apiVersion, i, service, key));
    }
    return yaml.toString();
  }

  static Attributes request(int k, String path) {
    String principal = "cluster.local/ns/default/sa/sa-" + k;
    return MapAttributes.of(
        Map.of(
            "source.principal", principal,
            "source.user", principal,
            "source.namespace", "default",
            "destination.namespace", "default",
            "destination.service", "svc-" + k,
            "destination.labels", StringMap.of(Map.of("app", "app-" + k, "version", "v1")),
            "request.method", "GET",
            "request.path", path,
            "request.headers", StringMap.of(Map.of("x-request-id", "r" + k, "user-agent", "b"))));
  }

  @Setup
  public void setUp() {
    store = Policies.store(policy(roles, spelling));
    hitDecider =
        CachingDecider.of(
            store, CheckCache.builder(Ticker.system()).maximumEntries(100_000).build());
    missDecider =
        CachingDecider.of(store, CheckCache.builder(Ticker.system()).maximumEntries(1_000).build());
    hitBags = new Attributes[roles];
    for (int k = 0; k < roles; k++) {
      hitBags[k] = request(k, "/");
      Decision d = hitDecider.check(hitBags[k]);
      if (!d.allowed()) {
        throw new IllegalStateException("benchmark request denied: " + d);
      }
    }
    missBags = new Attributes[MISS_REQUESTS];
    for (int i = 0; i < MISS_REQUESTS; i++) {
      missBags[i] = request(i % roles, "/item/" + i);
    }
    if (!store.check(missBags[MISS_REQUESTS - 1]).allowed()) {
      throw new IllegalStateException("benchmark miss request denied");
    }
  }

  @Benchmark
  public Decision hit(Keys keys) {
    return hitDecider.check(hitBags[keys.zipf.next()]);
  }

  @Benchmark
  public Decision miss(Keys keys) {
    int i = keys.next;
    keys.next = (i + 1) & (MISS_REQUESTS - 1);
    return missDecider.check(missBags[i]);
  }

  @Benchmark
  public Decision engine(Keys keys) {
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
