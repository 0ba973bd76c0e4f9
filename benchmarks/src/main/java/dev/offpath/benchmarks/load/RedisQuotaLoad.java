package dev.offpath.benchmarks.load;

import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The redis variant of the load driver: Offpath with a per-user {@code redisquota} (a limit no
 * user reaches, so every check passes and the cost measured is the quota path's), against each
 * Redis deployment given, one after the other in one run: Check capacity (a closed loop of {@code
 * --concurrency} calls for {@code --duration}, after a warm-up as long) and Redis script calls per
 * 1,000 checks (from Offpath's {@code offpath_redisquota_calls_total}). The first deployment is
 * the baseline of the ratios. {@code benchmarks/redis-load.sh} starts a single Redis and a 3+3
 * Redis Cluster on loopback and runs this.
 *
 * <p>Run: {@code java -cp benchmarks.jar dev.offpath.benchmarks.load.RedisQuotaLoad --offpath-jar
 * server/target/offpath.jar --redis single=127.0.0.1:6379 --redis
 * cluster=redis-cluster://127.0.0.1:7000 [--users 1000] [--concurrency 64] [--duration 20s]
 * [--results benchmarks/results]}.
 */
public final class RedisQuotaLoad {

  private RedisQuotaLoad() {}

  /** One deployment's figures. */
  record Result(String name, double checksPerSecond, long checks, double callsPer1000) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> redis = new LinkedHashMap<>();
    Path jar = Path.of("server/target/offpath.jar");
    Path results = Path.of("benchmarks/results");
    int users = 1_000;
    int concurrency = 64;
    Duration duration = Duration.ofSeconds(20);
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : "";
      switch (args[i]) {
        case "--redis" -> {
          int eq = value.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("--redis NAME=URL, got " + value);
          }
          redis.put(value.substring(0, eq), value.substring(eq + 1));
        }
        case "--offpath-jar" -> jar = Path.of(value);
        case "--results" -> results = Path.of(value);
        case "--users" -> users = Integer.parseInt(value);
        case "--concurrency" -> concurrency = Integer.parseInt(value);
        case "--duration" -> duration = Duration.ofSeconds(Long.parseLong(value.replace("s", "")));
        default -> throw new IllegalArgumentException("unknown flag " + args[i]);
      }
      i++;
    }
    if (redis.isEmpty()) {
      throw new IllegalArgumentException("at least one --redis NAME=URL");
    }
    Files.createDirectories(results);
    List<Result> out = new ArrayList<>();
    try (Progress progress = new Progress(System.out)) {
      for (Map.Entry<String, String> e : redis.entrySet()) {
        out.add(measure(e.getKey(), e.getValue(), jar, results, users, concurrency, duration,
            progress));
      }
    }
    StringBuilder report = new StringBuilder();
    report.append(
        String.format(
            Locale.ROOT,
            "redisquota load: per-user quota over %d users, closed loop of %d, %s per deployment%n",
            users, concurrency, duration));
    Result base = out.get(0);
    for (Result r : out) {
      report.append(
          String.format(
              Locale.ROOT,
              "  %-10s %9.0f checks/s (%.2fx %s)  %7.1f Redis calls per 1,000 checks (%d checks)%n",
              r.name(), r.checksPerSecond(), r.checksPerSecond() / base.checksPerSecond(),
              base.name(), r.callsPer1000(), r.checks()));
    }
    System.out.println();
    System.out.print(report);
    Files.writeString(results.resolve("redis-latest.txt"), report.toString());
    System.out.println("wrote " + results.resolve("redis-latest.txt"));
  }

  private static Result measure(
      String name,
      String url,
      Path jar,
      Path results,
      int users,
      int concurrency,
      Duration duration,
      Progress progress)
      throws Exception {
    Path dir = Files.createTempDirectory("offpath-redis-load");
    Path policy = dir.resolve("redisquota.yaml");
    Files.writeString(policy, policy(url));
    int admin = ServerProcess.freePort();
    try (ServerProcess offpath =
            Servers.startReady(
                () -> {
                  int grpc = ServerProcess.freePort();
                  int telemetry = ServerProcess.freePort();
                  List<String> command = ServerProcess.javaCommand(List.of(), "");
                  command.addAll(
                      List.of(
                          "-jar", jar.toString(), "serve",
                          "--config", policy.toString(),
                          "--grpc-address", "127.0.0.1",
                          "--grpc-port", Integer.toString(grpc),
                          "--admin-port", Integer.toString(admin),
                          "--telemetry-port", Integer.toString(telemetry),
                          "--no-watch"));
                  return ServerProcess.start(
                      "offpath-" + name, command, grpc, telemetry,
                      results.resolve("offpath-redis-" + name + ".log"));
                },
                progress);
        CheckClient client =
            new CheckClient(offpath.grpcPort(), 2, requests(users))) {
      client.closedLoop("warm-up " + name, offpath, concurrency, duration, progress);
      double callsBefore = calls(admin);
      PhaseResult r = client.closedLoop("capacity " + name, offpath, concurrency, duration,
          progress);
      double calls = calls(admin) - callsBefore;
      return new Result(name, r.throughput(), r.completed(), 1000.0 * calls / r.completed());
    } finally {
      Files.deleteIfExists(policy);
      Files.deleteIfExists(dir);
    }
  }

  private static List<CheckRequest> requests(int users) {
    return CheckTraffic.requests(Math.max(users * 4, 4_096), users);
  }

  static String policy(String url) {
    return """
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: redis, namespace: istio-system}
        spec:
          compiledAdapter: redisquota
          params:
            redisServerUrl: "%s"
            timeout: 1s
            quotas:
            - name: requestcount.instance.istio-system
              maxAmount: 1000000000
              validDuration: 60s
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
        """
        .formatted(url);
  }

  /** Offpath's {@code offpath_redisquota_calls_total}, all results. */
  private static double calls(int adminPort) throws IOException, InterruptedException {
    String body =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    double total = 0;
    for (String line : body.split("\n")) {
      if (line.startsWith("offpath_redisquota_calls_total")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }
}
