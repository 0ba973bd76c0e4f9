package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import dev.offpath.core.testing.RedisServer;
import dev.offpath.server.tracing.TracingOptions;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.HTTPAccessLogEntries;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.Identifier;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Tracing through a real Offpath to a real Zipkin server: a Check joins the trace of its request's
 * {@code traceparent} or {@code x-b3-*} headers, with the cache result, the deciding/matched rules
 * and handler dispatch spans; the request's sampling decision is kept; report batches and Redis
 * prefetches have spans; {@code --trace-log-spans} logs them. Waits are bounded polls of Zipkin's
 * API (the exporter sends batches every second).
 */
class TracingEndToEndTest {

  private static final Duration AWAIT = Duration.ofSeconds(60);
  private static ZipkinServer zipkin;

  @TempDir Path dir;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeAll
  static void startZipkin() throws Exception {
    zipkin = ZipkinServer.start();
  }

  @AfterAll
  static void stopZipkin() throws Exception {
    if (zipkin != null) {
      zipkin.close();
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private ServerHarness offpath(List<Path> config, TracingOptions tracing) throws Exception {
    ServerOptions o = ServerHarness.options(config, false);
    ServerHarness h =
        ServerHarness.start(
            new ServerOptions(
                o.configPaths(), o.grpcAddress(), o.grpcPort(), o.adminAddress(), o.adminPort(),
                o.telemetryPort(), o.maxMessageBytes(), o.failOpen(), o.checkCacheSize(),
                o.shutdownGrace(), o.watchConfig(), o.eventLoopThreads(), o.reportWorkers(),
                o.reportQueue(), o.security(), o.decisionLog(), tracing));
    closing.add(h);
    return h;
  }

  private static List<Path> denyAndQuota() {
    return List.of(
        ExtAuthzEndToEndTest.EXAMPLES.resolve("deny.yaml"),
        ExtAuthzEndToEndTest.EXAMPLES.resolve("quota.yaml"));
  }

  private static TracingOptions toZipkin(double rate) {
    return TracingOptions.of(zipkin.spansUrl(), rate, false);
  }

  /** Polls Zipkin until the trace holds spans satisfying {@code done}. */
  private static JsonNode awaitTrace(String traceId, Predicate<JsonNode> done) throws Exception {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    JsonNode spans = zipkin.trace(traceId);
    while (!done.test(spans)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("trace " + traceId + " incomplete after " + AWAIT + ": " + spans);
      }
      Thread.sleep(200);
      spans = zipkin.trace(traceId);
    }
    return spans;
  }

  private static List<JsonNode> named(JsonNode spans, String name) {
    List<JsonNode> out = new ArrayList<>();
    spans.forEach(s -> { if (name.equals(s.path("name").asText())) out.add(s); });
    return out;
  }

  private static Predicate<JsonNode> has(String name, int count) {
    return spans -> named(spans, name).size() >= count;
  }

  @Test
  void checkJoinsTheRequestsW3cTraceWithCacheRulesAndHandlerSpans() throws Exception {
    // Rate 0: only what the request's own headers sampled is traced.
    ServerHarness h = offpath(denyAndQuota(), toZipkin(0));
    String missTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    String hitTrace = "4bf92f3577b34da6a3ce929d0e0e4737";
    String envoySpan = "00f067aa0ba902b7";
    assertThat(h.check("request.path", "/admin/x", "request.headers[x-user]", "alice",
            "request.headers[traceparent]", "00-" + missTrace + "-" + envoySpan + "-01")
        .getStatus().getCode()).isEqualTo(7);
    assertThat(h.check("request.path", "/admin/x", "request.headers[x-user]", "alice",
            "request.headers[traceparent]", "00-" + hitTrace + "-" + envoySpan + "-01")
        .getStatus().getCode()).isEqualTo(7);

    JsonNode miss = awaitTrace(missTrace, has("offpath.check", 1).and(has("offpath.dispatch", 1)));
    JsonNode check = named(miss, "offpath.check").get(0);
    assertThat(check.path("parentId").asText()).isEqualTo(envoySpan);
    assertThat(check.path("kind").asText()).isEqualTo("SERVER");
    assertThat(check.path("localEndpoint").path("serviceName").asText()).isEqualTo("offpath");
    JsonNode tags = check.path("tags");
    assertThat(tags.path("offpath.cache").asText()).isEqualTo("miss");
    assertThat(tags.path("offpath.allowed").asText()).isEqualTo("false");
    assertThat(tags.path("offpath.status").asText()).isEqualTo("PERMISSION_DENIED");
    assertThat(tags.path("offpath.rule").asText()).isEqualTo("denyadmin.rule.istio-system");
    assertThat(tags.path("offpath.handler").asText()).isEqualTo("denyadmin.handler.istio-system");
    assertThat(tags.path("offpath.rules").asText())
        .isEqualTo("denyadmin.rule.istio-system,quotaperuser.rule.istio-system");
    // The denier's dispatch, a child of the Check (no quota is spent on a denied request).
    List<JsonNode> dispatches = named(miss, "offpath.dispatch");
    assertThat(dispatches).hasSize(1);
    assertThat(dispatches.get(0).path("parentId").asText()).isEqualTo(check.path("id").asText());
    assertThat(dispatches.get(0).path("tags").path("offpath.handler").asText())
        .isEqualTo("denyadmin.handler.istio-system");
    assertThat(dispatches.get(0).path("tags").path("offpath.template").asText()).isEqualTo("checknothing");

    // The same request again, from the cache: the Check span says so and nothing was dispatched.
    JsonNode hit = awaitTrace(hitTrace, has("offpath.check", 1));
    assertThat(named(hit, "offpath.check").get(0).path("tags").path("offpath.cache").asText()).isEqualTo("hit");
    assertThat(named(hit, "offpath.dispatch")).isEmpty();
  }

  @Test
  void b3HeadersJoinTooAndAnUnsampledRequestStaysUntraced() throws Exception {
    // Rate 1: everything Offpath starts is sampled, but a request that says "not sampled" is not.
    ServerHarness h = offpath(denyAndQuota(), toZipkin(1));
    String unsampled = "5bf92f3577b34da6a3ce929d0e0e4736";
    String b3Trace = "6bf92f3577b34da6a3ce929d0e0e4736";
    assertThat(h.check("request.path", "/shop", "request.headers[x-user]", "bob",
            "request.headers[traceparent]", "00-" + unsampled + "-00f067aa0ba902b7-00")
        .getStatus().getCode()).isZero();
    assertThat(h.check("request.path", "/shop", "request.headers[x-user]", "bob",
            "request.headers[x-b3-traceid]", b3Trace,
            "request.headers[x-b3-spanid]", "10f067aa0ba902b7",
            "request.headers[x-b3-sampled]", "1")
        .getStatus().getCode()).isZero();

    JsonNode b3 = awaitTrace(b3Trace, has("offpath.check", 1).and(has("offpath.dispatch", 1)));
    JsonNode check = named(b3, "offpath.check").get(0);
    assertThat(check.path("parentId").asText()).isEqualTo("10f067aa0ba902b7");
    assertThat(check.path("tags").path("offpath.allowed").asText()).isEqualTo("true");
    assertThat(check.path("tags").path("offpath.rules").asText()).isEqualTo("quotaperuser.rule.istio-system");
    // memquota is never cached: its dispatch is there even though the first Check cached the rest.
    assertThat(check.path("tags").path("offpath.cache").asText()).isEqualTo("hit");
    assertThat(named(b3, "offpath.dispatch").get(0).path("tags").path("offpath.template").asText())
        .isEqualTo("quota");
    // Spans are exported in order and the later trace is in: the unsampled one made none.
    assertThat(zipkin.trace(unsampled)).isEmpty();

    // B3 ids without x-b3-sampled defer the decision to Offpath: sampled at the rate (1 here).
    String deferred = "9bf92f3577b34da6a3ce929d0e0e4736";
    h.check("request.path", "/shop", "request.headers[x-user]", "bob",
        "request.headers[x-b3-traceid]", deferred, "request.headers[x-b3-spanid]", "20f067aa0ba902b7");
    assertThat(named(awaitTrace(deferred, has("offpath.check", 1)), "offpath.check").get(0)
            .path("parentId").asText())
        .isEqualTo("20f067aa0ba902b7");
  }

  @Test
  void reportBatchesHaveSpans() throws Exception {
    ServerHarness h = offpath(denyAndQuota(), toZipkin(1));
    CountDownLatch done = new CountDownLatch(1);
    StreamObserver<StreamAccessLogsMessage> stream =
        h.accessLog.streamAccessLogs(
            new StreamObserver<StreamAccessLogsResponse>() {
              @Override
              public void onNext(StreamAccessLogsResponse value) {}

              @Override
              public void onError(Throwable t) {
                done.countDown();
              }

              @Override
              public void onCompleted() {
                done.countDown();
              }
            });
    HTTPAccessLogEntry entry =
        HTTPAccessLogEntry.newBuilder()
            .setCommonProperties(
                AccessLogCommon.newBuilder()
                    .setUpstreamCluster("outbound|9080||reviews.default.svc.cluster.local")
                    .setStartTime(Timestamp.newBuilder().setSeconds(1_767_225_600L)))
            .setRequest(HTTPRequestProperties.newBuilder().setPath("/"))
            .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(UInt32Value.of(200)))
            .build();
    stream.onNext(
        StreamAccessLogsMessage.newBuilder()
            .setIdentifier(Identifier.newBuilder().setLogName("offpath").setNode(Node.newBuilder().setId("sidecar~10.1.0.7~p.default~default.svc.cluster.local")))
            .setHttpLogs(HTTPAccessLogEntries.newBuilder().addLogEntry(entry).addLogEntry(entry).addLogEntry(entry))
            .build());
    stream.onCompleted();
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();

    long deadline = System.nanoTime() + AWAIT.toNanos();
    JsonNode traces = zipkin.traces("offpath.report.batch");
    while (traces.isEmpty()) {
      assertThat(System.nanoTime()).as("a report batch span within %s", AWAIT).isLessThan(deadline);
      Thread.sleep(200);
      traces = zipkin.traces("offpath.report.batch");
    }
    long entries = 0;
    for (JsonNode trace : traces) {
      for (JsonNode span : named(trace, "offpath.report.batch")) {
        assertThat(span.has("parentId")).isFalse();
        entries += span.path("tags").path("offpath.batch.size").asLong();
      }
    }
    assertThat(entries).isEqualTo(3);
  }

  @Test
  void redisPrefetchIsAChildOfTheCheckThatTriggeredIt() throws Exception {
    RedisServer redis = RedisServer.start();
    closing.add(redis);
    Path config = dir.resolve("redisquota.yaml");
    Files.writeString(
        config,
        """
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: redis, namespace: istio-system}
        spec:
          compiledAdapter: redisquota
          params:
            redisServerUrl: %s
            quotas:
            - name: requestcount.instance.istio-system
              maxAmount: 1000
              validDuration: 60s
        """
            .formatted(redis.url())
            + RedisQuotaFleet.PER_USER_QUOTA);
    ServerHarness h = offpath(List.of(config), toZipkin(0));
    String trace = "7bf92f3577b34da6a3ce929d0e0e4736";
    // The first Check of a user finds an empty pool: it passes optimistically and prefetches.
    assertThat(h.check("request.headers[x-user]", "carol",
            "request.headers[traceparent]", "00-" + trace + "-00f067aa0ba902b7-01")
        .getStatus().getCode()).isZero();

    JsonNode spans = awaitTrace(trace, has("redisquota.prefetch", 1).and(has("offpath.check", 1)));
    JsonNode check = named(spans, "offpath.check").get(0);
    JsonNode prefetch = named(spans, "redisquota.prefetch").get(0);
    assertThat(prefetch.path("parentId").asText()).isEqualTo(check.path("id").asText());
    Map<String, String> tags = new HashMap<>();
    prefetch.path("tags").fields().forEachRemaining(e -> tags.put(e.getKey(), e.getValue().asText()));
    assertThat(tags)
        .containsEntry("offpath.handler", "redis.handler.istio-system")
        .containsEntry("offpath.quota", "requestcount.instance.istio-system")
        .containsKey("offpath.quota.asked")
        .containsKey("offpath.quota.granted")
        .doesNotContainKey("error");
  }

  @Test
  void logSpansLogsEachFinishedSpan() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger("dev.offpath.trace");
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    closing.add(() -> logger.detachAppender(appender));
    ServerHarness h = offpath(denyAndQuota(), TracingOptions.of(null, 1, true));
    String trace = "8bf92f3577b34da6a3ce929d0e0e4736";
    h.check("request.path", "/admin", "request.headers[traceparent]", "00-" + trace + "-00f067aa0ba902b7-01");

    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (appender.list.stream().noneMatch(e -> e.getFormattedMessage().contains("offpath.check trace=" + trace))) {
      assertThat(System.nanoTime()).as("a logged span within %s", AWAIT).isLessThan(deadline);
      Thread.sleep(100);
    }
    String line =
        appender.list.stream()
            .map(ILoggingEvent::getFormattedMessage)
            .filter(m -> m.contains("offpath.check trace=" + trace))
            .findFirst()
            .orElseThrow();
    assertThat(line)
        .startsWith("span offpath.check trace=" + trace + " id=")
        .contains(" parent=00f067aa0ba902b7 ")
        .contains(" offpath.cache=miss")
        .contains(" offpath.status=PERMISSION_DENIED");
  }
}
