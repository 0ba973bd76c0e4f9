package dev.offpath.server;

import dev.offpath.server.tracing.TracingOptions;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.offpath.server.decisions.DecisionLogOptions;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decision log and the dry-run counter through a real server: Checks over ext_authz and an
 * ext_proc stream, lines read back from the log file.
 */
class DecisionLogEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private ServerHarness harness;

  @AfterEach
  void stop() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  private ServerHarness start(DecisionLogOptions log, int checkCacheSize) throws Exception {
    return ServerHarness.start(
        new ServerOptions(
            List.of(policy()), "127.0.0.1", 0, "127.0.0.1", 0, 0, 1 << 20, false,
            checkCacheSize, Duration.ofSeconds(5), false, 1, ServerOptions.DEFAULT_REPORT_WORKERS,
            ServerOptions.DEFAULT_REPORT_QUEUE, SecurityOptions.DEFAULTS, log, TracingOptions.OFF));
  }

  static Path policy() throws Exception {
    return Path.of(
        java.util.Objects.requireNonNull(
                DecisionLogEndToEndTest.class.getResource("/decisions/policy.yaml"))
            .toURI());
  }

  /** The log's lines once there are {@code n} (the writer is asynchronous; waits at most 10 s). */
  private List<JsonNode> lines(Path file, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<String> text = List.of();
    while (System.nanoTime() < deadline) {
      text = Files.exists(file) ? Files.readAllLines(file) : List.of();
      if (text.size() >= n) {
        break;
      }
      Thread.sleep(20);
    }
    List<JsonNode> out = new ArrayList<>();
    for (String line : text) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  @Test
  void denialsAndDryRunDenialsAreLoggedWithTheirReadsAllowsAreSampledOut() throws Exception {
    Path file = dir.resolve("decisions.log");
    harness =
        start(
            new DecisionLogOptions(file.toString(), 0.0, List.of("request.headers[x-user]"), 100),
            10_000);

    CheckResponse shop = harness.check("request.path", "/shop", "request.id", "r-shop");
    CheckResponse admin =
        harness.check(
            "request.path", "/admin/users", "request.headers[x-user]", "dave", "request.id", "r-admin");
    CheckResponse beta1 =
        harness.check(
            "request.path", "/beta/x", "request.headers[x-user]", "carol", "request.id", "r-beta-1");
    CheckResponse beta2 =
        harness.check(
            "request.path", "/beta/x", "request.headers[x-user]", "carol", "request.id", "r-beta-2");

    assertThat(shop.getStatus().getCode()).isZero();
    assertThat(admin.getStatus().getCode()).isEqualTo(7);
    assertThat(beta1.getStatus().getCode()).as("a dry-run rule never denies").isZero();
    assertThat(beta2.getStatus().getCode()).isZero();
    assertThat(beta1.getOkResponse().getHeadersList()).as("nor adds its headers").isEmpty();

    List<JsonNode> lines = lines(file, 3);
    assertThat(lines).extracting(l -> l.get("requestId").asText())
        .containsExactly("r-admin", "r-beta-1", "r-beta-2");

    JsonNode denied = lines.get(0);
    assertThat(denied.get("allowed").asBoolean()).isFalse();
    assertThat(denied.get("status").asText()).isEqualTo("PERMISSION_DENIED");
    assertThat(denied.get("httpStatus").asInt()).isEqualTo(403);
    assertThat(denied.get("rule").asText()).isEqualTo("denyadmin.rule.istio-system");
    assertThat(denied.get("handler").asText()).isEqualTo("denyadmin.handler.istio-system");
    assertThat(denied.get("message").asText()).contains("admin area is internal only");
    assertThat(denied.get("cached").asBoolean()).isFalse();
    assertThat(denied.has("dryRun")).isFalse();
    assertThat(denied.get("attributes").get("request.url_path").asText()).isEqualTo("/admin/users");
    assertThat(denied.get("attributes").get("request.headers[x-internal]").isNull()).isTrue();
    assertThat(denied.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");

    JsonNode dry = lines.get(1);
    assertThat(dry.get("allowed").asBoolean()).isTrue();
    assertThat(dry.get("status").asText()).isEqualTo("OK");
    assertThat(dry.get("httpStatus").asInt()).isEqualTo(200);
    assertThat(dry.get("dryRun").asBoolean()).isTrue();
    assertThat(dry.get("dryRunDenials").get(0).get("rule").asText())
        .isEqualTo("closebeta.rule.istio-system");
    assertThat(dry.get("dryRunDenials").get(0).get("status").asText()).isEqualTo("PERMISSION_DENIED");
    assertThat(dry.get("attributes").get("request.headers[x-user]").asText())
        .as("redacted")
        .isEqualTo("[redacted]");
    assertThat(dry.get("cached").asBoolean()).isFalse();

    JsonNode hit = lines.get(2);
    assertThat(hit.get("cached").asBoolean()).isTrue();
    assertThat(hit.get("dryRun").asBoolean()).as("a cache hit reports the dry-run denial").isTrue();
    assertThat(hit.get("attributes")).isEqualTo(dry.get("attributes"));

    String metrics = harness.metrics();
    assertThat(
            ServerHarness.sum(
                metrics, "offpath_rule_dry_run_denials_total", "rule", "closebeta.rule.istio-system"))
        .isEqualTo(2.0);
    assertThat(ServerHarness.sum(metrics, "offpath_decision_log_entries_total")).isEqualTo(3.0);
    assertThat(ServerHarness.sum(metrics, "offpath_decision_log_dropped_total")).isZero();
  }

  @Test
  void extProcDecisionsAreLoggedAndSampleRateOneLogsAllowsWithoutTheCache() throws Exception {
    Path file = dir.resolve("decisions.log");
    harness = start(new DecisionLogOptions(file.toString(), 1.0, List.of(), 100), 0);

    LinkedBlockingQueue<ProcessingResponse> answers = new LinkedBlockingQueue<>();
    StreamObserver<ProcessingRequest> stream =
        ExternalProcessorGrpc.newStub(harness.channel)
            .process(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ProcessingResponse value) {
                    answers.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    HeaderMap.Builder headers = HeaderMap.newBuilder();
    for (String[] h :
        new String[][] {{":method", "GET"}, {":path", "/admin"}, {"x-request-id", "p-1"}}) {
      headers.addHeaders(
          HeaderValue.newBuilder().setKey(h[0]).setRawValue(ByteString.copyFromUtf8(h[1])));
    }
    stream.onNext(
        ProcessingRequest.newBuilder()
            .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(headers))
            .build());
    ProcessingResponse r = answers.poll(10, TimeUnit.SECONDS);
    assertThat(r).isNotNull();
    assertThat(r.getImmediateResponse().getStatus().getCodeValue()).isEqualTo(403);
    stream.onCompleted();

    CheckResponse shop = harness.check("request.path", "/shop", "request.id", "r-shop");
    assertThat(shop.getStatus().getCode()).isZero();

    List<JsonNode> lines = lines(file, 2);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).get("allowed").asBoolean()).isFalse();
    assertThat(lines.get(0).get("requestId").asText()).isEqualTo("p-1");
    assertThat(lines.get(0).get("attributes").get("request.url_path").asText()).isEqualTo("/admin");
    assertThat(lines.get(1).get("allowed").asBoolean()).isTrue();
    assertThat(lines.get(1).get("requestId").asText()).isEqualTo("r-shop");
    assertThat(lines).allSatisfy(l -> assertThat(l.get("cached").asBoolean()).isFalse());
  }

  @Test
  void badDecisionLogFlagsAreRefusedBeforeServing() {
    CliTest.Result rate =
        CliTest.run("serve", "--decision-log", "stdout", "--decision-log-sample", "2", "--grpc-port", "0");
    assertThat(rate.exit()).isEqualTo(2);
    assertThat(rate.err()).contains("offpath serve: decision-log-sample: 2.0 (expected: 0..1)");

    CliTest.Result file =
        CliTest.run(
            "serve", "--decision-log", "/proc/offpath-no-such-dir/decisions.log", "--grpc-port", "0",
            "--admin-port", "0", "--telemetry-port", "0", "--no-watch");
    assertThat(file.exit()).isEqualTo(1);
    assertThat(file.err()).contains("cannot open log file /proc/offpath-no-such-dir/decisions.log");
  }
}
