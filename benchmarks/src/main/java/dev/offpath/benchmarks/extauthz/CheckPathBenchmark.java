package dev.offpath.benchmarks.extauthz;

import dev.offpath.benchmarks.Policies;
import dev.offpath.benchmarks.Resources;
import dev.offpath.benchmarks.Zipf;
import dev.offpath.cache.CachingDecider;
import dev.offpath.cache.CheckCache;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.time.Ticker;
import dev.offpath.envoy.attributes.InvalidRequestException;
import dev.offpath.envoy.attributes.RequestAttributes;
import dev.offpath.envoy.attributes.RequestLimits;
import dev.offpath.extauthz.AuthorizationService;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
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
 * The in-process ext_authz Check path on a request as Envoy sends it (peers with addresses and
 * principals, method, path with a query, host, scheme, id, twelve headers, context extensions),
 * users drawn from a Zipf distribution:
 *
 * <ul>
 *   <li>{@code bag}: {@link RequestAttributes} mapping the {@code AttributeContext} to the attribute
 *       bag, nothing read from it;
 *   <li>{@code bagReadHeader}: the same plus one header read, as a rule on {@code x-user} does;
 *   <li>{@code check}: {@link AuthorizationService#decide}, CheckRequest → attributes → {@link
 *       CachingDecider} (every user's decision cached) → CheckResponse, on the twenty-rule policy
 *       of {@link Policies#twentyRules()} ({@code policy=twenty}) or the load driver's policy with a
 *       per-user memquota ({@code policy=quota});
 *   <li>{@code parse} and {@code parseAndCheck}: the request parsed from its bytes first, as the
 *       server gets it; {@code check} reuses parsed requests whose strings and hashes are warm, so
 *       it understates what a server pays ({@code parseAndCheck - parse}).
 * </ul>
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar CheckPathBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CheckPathBenchmark {

  @Param({"1000"})
  public int users;

  /**
   * {@code twenty}: {@link Policies#twentyRules()}; {@code quota}: the load driver's policy, the
   * same rules plus a per-user memquota, whose allocation runs on every Check (never cached).
   */
  @Param({"twenty", "quota"})
  public String policy;

  private PolicyStore store;
  private CachingDecider decider;
  private AuthorizationService service;
  private AttributeManifest manifest;
  private CheckRequest[] requests;
  private byte[][] encoded;

  @State(Scope.Thread)
  public static class Keys {
    Zipf zipf;

    @Setup
    public void setUp(CheckPathBenchmark b) {
      zipf = new Zipf(b.users, 1.1, Thread.currentThread().threadId());
    }
  }

  @Setup
  public void setUp() throws InvalidRequestException {
    store = Policies.store(policy.equals("quota") ? loadPolicy() : Policies.twentyRules());
    decider =
        CachingDecider.of(
            store, CheckCache.builder(Ticker.system()).maximumEntries(100_000).build());
    service = new AuthorizationService(decider, RequestLimits.DEFAULT);
    manifest = decider.manifest();
    requests = new CheckRequest[users];
    encoded = new byte[users][];
    for (int i = 0; i < users; i++) {
      requests[i] = request("user-" + i, i);
      encoded[i] = requests[i].toByteArray();
      Attributes bag = RequestAttributes.of(requests[i].getAttributes(), manifest, RequestLimits.DEFAULT);
      if (!"reviews".equals(bag.get("destination.service.name"))
          || !("user-" + i).equals(((StringMap) bag.get("request.headers")).get("x-user"))) {
        throw new IllegalStateException("benchmark request maps to " + bag);
      }
      CheckResponse response = service.decide(requests[i]);
      if (response.getStatus().getCode() != 0) {
        throw new IllegalStateException("benchmark request denied: " + response);
      }
    }
  }

  private static String loadPolicy() {
    return Resources.text(CheckPathBenchmark.class, "/dev/offpath/benchmarks/load/offpath-policy.yaml");
  }

  /** A Check as Envoy sends it for a sidecar-to-sidecar HTTP call. */
  public static CheckRequest request(String user, int n) {
    AttributeContext.Builder ctx = AttributeContext.newBuilder();
    ctx.getSourceBuilder()
        .setAddress(address("10.1." + (n >> 8 & 0xff) + "." + (n & 0xff), 40000 + n))
        .setPrincipal("spiffe://cluster.local/ns/default/sa/productpage");
    ctx.getDestinationBuilder()
        .setAddress(address("10.2.0.17", 9080))
        .setPrincipal("spiffe://cluster.local/ns/default/sa/reviews");
    ctx.getRequestBuilder()
        .getHttpBuilder()
        .setId("7b4f3c2e-" + n)
        .setMethod("GET")
        .setPath("/api/v1/reviews/" + n + "?page=2&sort=desc")
        .setHost("reviews.default.svc.cluster.local:9080")
        .setScheme("http")
        .setProtocol("HTTP/1.1")
        .setSize(0)
        .putHeaders(":authority", "reviews.default.svc.cluster.local:9080")
        .putHeaders(":method", "GET")
        .putHeaders(":path", "/api/v1/reviews/" + n + "?page=2&sort=desc")
        .putHeaders(":scheme", "http")
        .putHeaders("accept", "application/json")
        .putHeaders("content-type", "application/json")
        .putHeaders("user-agent", "Curl")
        .putHeaders("x-request-id", "7b4f3c2e-" + n)
        .putHeaders("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7")
        .putHeaders("x-b3-spanid", "e457b5a2e4d86bd1")
        .putHeaders("x-forwarded-proto", "http")
        .putHeaders("x-user", user);
    ctx.putContextExtensions("destination.service.name", "reviews");
    ctx.putContextExtensions("destination.service.host", "reviews.default.svc.cluster.local");
    ctx.putContextExtensions("destination.service.namespace", "default");
    return CheckRequest.newBuilder().setAttributes(ctx).build();
  }

  private static Address address(String ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }

  @Benchmark
  public Attributes bag(Keys keys) throws InvalidRequestException {
    return RequestAttributes.of(
        requests[keys.zipf.next()].getAttributes(), manifest, RequestLimits.DEFAULT);
  }

  @Benchmark
  public Object bagReadHeader(Keys keys) throws InvalidRequestException {
    Attributes bag =
        RequestAttributes.of(
            requests[keys.zipf.next()].getAttributes(), manifest, RequestLimits.DEFAULT);
    return ((StringMap) bag.get("request.headers")).get("x-user");
  }

  @Benchmark
  public CheckResponse check(Keys keys) {
    return service.decide(requests[keys.zipf.next()]);
  }

  /**
   * The request parsed from its bytes, as gRPC hands it over: fresh strings whose hashes are not
   * cached yet, fresh objects not in the CPU cache. The cost of {@code check} as a server pays it
   * is {@code parseAndCheck - parse}.
   */
  @Benchmark
  public CheckResponse parseAndCheck(Keys keys) throws InvalidProtocolBufferException {
    return service.decide(CheckRequest.parseFrom(encoded[keys.zipf.next()]));
  }

  @Benchmark
  public CheckRequest parse(Keys keys) throws InvalidProtocolBufferException {
    return CheckRequest.parseFrom(encoded[keys.zipf.next()]);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    System.out.println();
    System.out.println("check cache: " + decider.cache().stats());
    store.close();
  }
}
