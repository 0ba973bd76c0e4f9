package dev.offpath.server;

import dev.offpath.extauthz.CheckRequests;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Offpath servers on loopback sharing one Redis deployment through a {@code redisquota} handler:
 * the config (one quota keyed by {@code user}), the servers, and checks with a deadline. Close it
 * after the test.
 */
@SuppressWarnings("try") // close() waits for the servers to stop, so it may be interrupted
final class RedisQuotaFleet implements AutoCloseable {

  /**
   * The quota instance (one key per {@code x-user}) and the rule that sends it to handler {@code
   * redis.handler}: the part every redisquota end-to-end config shares.
   */
  static final String PER_USER_QUOTA =
      """
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: instance
      metadata: {name: requestcount, namespace: istio-system}
      spec:
        compiledTemplate: quota
        params:
          dimensions:
            user: request.headers["x-user"] | "anonymous"
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: rule
      metadata: {name: quota, namespace: istio-system}
      spec:
        actions:
        - handler: redis.handler
          instances: [requestcount.instance]
      """;

  static final int OK = 0;
  static final int RESOURCE_EXHAUSTED = 8;
  /** A check that did not answer within its deadline, or failed otherwise. */
  static final int NO_ANSWER = -1;

  final List<ServerHarness> servers = new ArrayList<>();
  private final List<AuthorizationGrpc.AuthorizationFutureStub> stubs = new ArrayList<>();

  /** The handler {@code redis.handler.istio-system} and a quota named {@code quota}. */
  static Path config(
      Path dir,
      String name,
      String url,
      String algorithm,
      int maxAmount,
      String failurePolicy,
      String extraParams)
      throws Exception {
    return config(dir, name, url, algorithm, maxAmount, failurePolicy, extraParams, "");
  }

  /** With {@code quotaExtra} (YAML, e.g. overrides) added to the quota. */
  static Path config(
      Path dir,
      String name,
      String url,
      String algorithm,
      int maxAmount,
      String failurePolicy,
      String extraParams,
      String quotaExtra)
      throws Exception {
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(
        file,
        """
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: redis, namespace: istio-system}
        spec:
          compiledAdapter: redisquota
          params:
            redisServerUrl: "%s"
            failurePolicy: %s
        %s
            quotas:
            - name: requestcount.instance.istio-system
              maxAmount: %d
              validDuration: 60s
              bucketDuration: 1s
              rateLimitAlgorithm: %s
        %s
        """
            .formatted(
                url,
                failurePolicy,
                extraParams.isEmpty() ? "" : extraParams.indent(4).stripTrailing(),
                maxAmount,
                algorithm,
                quotaExtra.isEmpty() ? "" : quotaExtra.indent(6).stripTrailing())
            + PER_USER_QUOTA);
    return file;
  }

  /** The Redis key of {@code user}'s counter for the quota above. */
  static String key(String user, String algorithm) {
    return "offpath:quota:{requestcount.instance.istio-system:user="
        + user
        + (algorithm.equals("FIXED_WINDOW") ? "}:fixed" : "}:rolling");
  }

  ServerHarness start(Path config) throws Exception {
    ServerHarness s = ServerHarness.start(List.of(config));
    servers.add(s);
    stubs.add(AuthorizationGrpc.newFutureStub(s.channel));
    return s;
  }

  /** Checks that took longer than {@link #slowerThan}, counted by {@link #timedCheck}. */
  final AtomicLong slow = new AtomicLong();
  final AtomicLong timed = new AtomicLong();
  final AtomicLong maxNanos = new AtomicLong();
  Duration slowerThan = Duration.ofMillis(250);

  /**
   * A check with a 2 s deadline, timed: one slower than {@link #slowerThan} is counted in {@link
   * #slow} (the machine is shared and noisy, so tests bound the share of slow answers rather than
   * the slowest one).
   */
  int timedCheck(int n, String user) throws InterruptedException {
    long start = System.nanoTime();
    int code = check(n, user, Duration.ofSeconds(2));
    long took = System.nanoTime() - start;
    timed.incrementAndGet();
    maxNanos.accumulateAndGet(took, Math::max);
    if (took > slowerThan.toNanos()) {
      slow.incrementAndGet();
    }
    return code;
  }

  /** A check for {@code user} on server {@code n}, answered within {@code deadline}. */
  int check(int n, String user, Duration deadline) throws InterruptedException {
    try {
      CheckResponse r =
          stubs
              .get(n)
              .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
              .check(CheckRequests.fromAttributes(Map.of("request.headers[x-user]", user)))
              .get();
      return r.getStatus().getCode();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s
          && s.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        return NO_ANSWER;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** The sum over the servers of a metric's samples with the given labels. */
  double metric(String name, String... labels) throws Exception {
    double total = 0;
    for (ServerHarness s : servers) {
      total += ServerHarness.sum(s.metrics(), name, labels);
    }
    return total;
  }

  double metric(int n, String name, String... labels) throws Exception {
    return ServerHarness.sum(servers.get(n).metrics(), name, labels);
  }

  /** Server {@code n}'s redisquota samples, for a failure message. */
  String redisquotaMetrics(int n) throws Exception {
    StringBuilder out = new StringBuilder();
    for (String line : servers.get(n).metrics().split("\n")) {
      if (line.startsWith("offpath_redisquota")) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  @Override
  public void close() throws Exception {
    for (ServerHarness s : servers) {
      s.close();
    }
  }
}
