package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ext_proc through a real server and a real Netty channel, playing Envoy on each stream. */
class ExtProcEndToEndTest {

  @TempDir Path dir;
  private ServerHarness harness;

  @AfterEach
  void stop() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  /** One ext_proc stream. */
  private final class Stream implements StreamObserver<ProcessingResponse> {
    final LinkedBlockingQueue<ProcessingResponse> answers = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> end = new CompletableFuture<>();
    final StreamObserver<ProcessingRequest> requests =
        ExternalProcessorGrpc.newStub(harness.channel).process(this);

    ProcessingResponse exchange(ProcessingRequest r) throws InterruptedException {
      requests.onNext(r);
      ProcessingResponse answer = answers.poll(10, TimeUnit.SECONDS);
      assertThat(answer).as("an answer (stream ended with %s)", end.getNow(null)).isNotNull();
      return answer;
    }

    Status end() throws Exception {
      return end.get(10, TimeUnit.SECONDS);
    }

    @Override
    public void onNext(ProcessingResponse value) {
      answers.add(value);
    }

    @Override
    public void onError(Throwable t) {
      end.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      end.complete(Status.OK);
    }
  }

  private static ProcessingRequest requestHeaders(String... nameValues) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (int i = 0; i < nameValues.length; i += 2) {
      map.addHeaders(
          HeaderValue.newBuilder()
              .setKey(nameValues[i])
              .setRawValue(ByteString.copyFromUtf8(nameValues[i + 1])));
    }
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(map))
        .build();
  }

  private static Map<String, String> set(List<HeaderValueOption> options) {
    return options.stream()
        .collect(Collectors.toMap(h -> h.getHeader().getKey(), h -> h.getHeader().getValue()));
  }

  @Test
  void deniedRequestGetsAnImmediate403() throws Exception {
    harness = ServerHarness.start(List.of(ExtAuthzEndToEndTest.EXAMPLES.resolve("deny.yaml")));
    Stream envoy = new Stream();
    ProcessingResponse r = envoy.exchange(requestHeaders(":method", "GET", ":path", "/admin/users"));
    assertThat(r.getImmediateResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(r.getImmediateResponse().getBody().toStringUtf8())
        .contains("admin area is internal only");
    assertThat(envoy.end().getCode()).isEqualTo(Status.Code.OK);

    Stream internal = new Stream();
    assertThat(
            internal
                .exchange(
                    requestHeaders(":method", "GET", ":path", "/admin/users", "x-internal", "true"))
                .hasRequestHeaders())
        .isTrue();
  }

  @Test
  void allowedRequestGetsTheRulesHeaderMutations() throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(
        file,
        """
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: headers, namespace: default}
        spec:
          match: request.headers["x-user"] != ""
          requestHeaderOperations:
          - name: x-user-id
            values: ['"user-" + request.headers["x-user"]']
          responseHeaderOperations:
          - name: x-served-by
            values: ['"offpath"']
        """);
    harness = ServerHarness.start(List.of(file));
    Stream envoy = new Stream();
    ProcessingResponse onRequest =
        envoy.exchange(requestHeaders(":method", "GET", ":path", "/", "x-user", "carol"));
    assertThat(set(onRequest.getRequestHeaders().getResponse().getHeaderMutation().getSetHeadersList()))
        .containsEntry("x-user-id", "user-carol");
    ProcessingResponse onResponse =
        envoy.exchange(
            ProcessingRequest.newBuilder()
                .setResponseHeaders(
                    HttpHeaders.newBuilder()
                        .setHeaders(
                            HeaderMap.newBuilder()
                                .addHeaders(HeaderValue.newBuilder().setKey(":status").setValue("200"))))
                .build());
    assertThat(set(onResponse.getResponseHeaders().getResponse().getHeaderMutation().getSetHeadersList()))
        .containsEntry("x-served-by", "offpath");
    envoy.requests.onCompleted();
    assertThat(envoy.end().getCode()).isEqualTo(Status.Code.OK);
    // The finished request went to the telemetry pipeline (this config has no report rules).
    assertThat(harness.metrics()).contains("offpath_extproc_reports_total{accepted=\"true\"} 1.0");
  }

  @Test
  void responsePhaseIsCountedInTheMeshMetrics() throws Exception {
    harness = ServerHarness.start(List.of()); // the embedded default config: Istio 1.0's metrics
    for (String status : List.of("200", "200", "503")) {
      Stream envoy = new Stream();
      envoy.exchange(
          requestHeaders(
              ":method", "GET", ":path", "/reviews/1", ":authority", "reviews.default"));
      envoy.exchange(
          ProcessingRequest.newBuilder()
              .setResponseHeaders(
                  HttpHeaders.newBuilder()
                      .setHeaders(
                          HeaderMap.newBuilder()
                              .addHeaders(
                                  HeaderValue.newBuilder().setKey(":status").setValue(status))))
              .build());
      envoy.requests.onCompleted();
      assertThat(envoy.end().getCode()).isEqualTo(Status.Code.OK);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String mesh;
    while (!(requests(mesh = harness.telemetryMetrics(), "200") == 2
        && requests(mesh, "503") == 1)) {
      assertThat(System.nanoTime()).as("istio_requests_total to count 2 + 1").isLessThan(deadline);
      Thread.sleep(10);
    }
    assertThat(harness.metrics()).contains("offpath_extproc_reports_total{accepted=\"true\"} 3.0");
  }

  @Test
  void malformedStreamsGetAClearStatusAndAreCountedOnMetrics() throws Exception {
    harness = ServerHarness.start(List.of());
    Stream empty = new Stream();
    empty.requests.onNext(ProcessingRequest.getDefaultInstance());
    assertThat(empty.end().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);

    Stream outOfOrder = new Stream();
    outOfOrder.requests.onNext(
        ProcessingRequest.newBuilder().setResponseHeaders(HttpHeaders.getDefaultInstance()).build());
    Status s = outOfOrder.end();
    assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s.getDescription()).contains("response_headers before request_headers");

    Stream silent = new Stream();
    silent.requests.onCompleted();
    assertThat(silent.end().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);

    String metrics = harness.metrics();
    assertThat(metrics)
        .contains("offpath_extproc_stream_errors_total{reason=\"empty_message\"} 1.0")
        .contains("offpath_extproc_stream_errors_total{reason=\"out_of_order\"} 1.0")
        .contains("offpath_extproc_stream_errors_total{reason=\"ended_before_request\"} 1.0")
        .contains(
            "grpc_server_handled_total{grpc_code=\"FAILED_PRECONDITION\",grpc_method=\"Process\",grpc_service=\"envoy.service.ext_proc.v3.ExternalProcessor\",grpc_type=\"BIDI_STREAM\"} 1");

    // The server keeps serving.
    assertThat(new Stream().exchange(requestHeaders(":method", "GET", ":path", "/")).hasRequestHeaders())
        .isTrue();
  }

  private static double requests(String exposition, String responseCode) {
    return ServerHarness.sum(exposition, "istio_requests_total", "response_code", responseCode);
  }
}
