package dev.offpath.server;

import dev.offpath.server.decisions.DecisionLogOptions;
import dev.offpath.extauthz.CheckRequests;
import dev.offpath.server.tracing.TracingOptions;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Offpath server on loopback (picked ports) with a real Netty channel to it, for end-to-end
 * tests. Close it after each test.
 */
public final class ServerHarness implements AutoCloseable {

  public final OffpathServer server;
  public final ManagedChannel channel;
  public final AuthorizationGrpc.AuthorizationBlockingStub authz;
  final AccessLogServiceGrpc.AccessLogServiceStub accessLog;
  private final HttpClient http = HttpClient.newHttpClient();

  private ServerHarness(OffpathServer server) {
    this.server = server;
    this.channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    this.authz = AuthorizationGrpc.newBlockingStub(channel);
    this.accessLog = AccessLogServiceGrpc.newStub(channel);
  }

  /** Everything on loopback with picked ports, the config watched. */
  public static ServerOptions options(List<Path> config, boolean watch) {
    return new ServerOptions(
        config, "127.0.0.1", 0, "127.0.0.1", 0, 0, 1 << 20, false, 10_000, Duration.ofSeconds(5),
        watch, 0, ServerOptions.DEFAULT_REPORT_WORKERS, ServerOptions.DEFAULT_REPORT_QUEUE,
        SecurityOptions.DEFAULTS, DecisionLogOptions.OFF, TracingOptions.OFF);
  }

  public static ServerHarness start(List<Path> config) throws Exception {
    return new ServerHarness(OffpathServer.start(options(config, true)));
  }

  public static ServerHarness start(ServerOptions options) throws Exception {
    return new ServerHarness(OffpathServer.start(options));
  }

  public CheckResponse check(String... nameValues) {
    Map<String, String> attrs = new LinkedHashMap<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      attrs.put(nameValues[i], nameValues[i + 1]);
    }
    return authz.withDeadlineAfter(10, TimeUnit.SECONDS).check(CheckRequests.fromAttributes(attrs));
  }

  public HttpResponse<String> admin(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  public String metrics() throws IOException, InterruptedException {
    return admin("/metrics").body();
  }

  /** The mesh metrics on the telemetry port. */
  String telemetryMetrics() throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.telemetryPort() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /**
   * The sum of {@code metric}'s samples in a text exposition whose labels include every given
   * {@code name, value} pair.
   */
  public static double sum(String exposition, String metric, String... labels) {
    double total = 0;
    for (String line : exposition.split("\n")) {
      if (!line.startsWith(metric + "{") && !line.startsWith(metric + " ")) {
        continue;
      }
      boolean match = true;
      for (int i = 0; i < labels.length; i += 2) {
        match &= line.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
      }
      if (match) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  @Override
  public void close() {
    try {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.close();
  }
}
