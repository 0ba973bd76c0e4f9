package dev.offpath.extproc;

import static dev.offpath.extproc.ProcessingClient.requestHeaders;
import static dev.offpath.extproc.ProcessingClient.responseHeaders;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigText;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.runtime.Decider;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.Outcome;
import dev.offpath.core.runtime.PendingDecision;
import java.util.concurrent.CompletableFuture;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.runtime.RuntimeServices;
import dev.offpath.core.telemetry.ReportSink;
import dev.offpath.core.time.FakeTicker;
import dev.offpath.envoy.attributes.RequestLimits;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ext_proc through real stubs against an in-process server, with a real policy store. */
class ExternalProcessorServiceTest {

  static final String POLICY =
      """
      apiVersion: config.istio.io/v1alpha2
      kind: handler
      metadata: {name: denyadmin}
      spec:
        compiledAdapter: denier
        params:
          status: {code: 7, message: admin area is internal only}
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: instance
      metadata: {name: nothing}
      spec:
        compiledTemplate: checknothing
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: rule
      metadata: {name: denyadmin}
      spec:
        match: request.url_path.startsWith("/admin")
        actions:
        - handler: denyadmin
          instances: [nothing]
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: rule
      metadata: {name: headers}
      spec:
        match: (request.headers["x-user"] | "") != ""
        requestHeaderOperations:
        - name: x-user-id
          values: ['"user-" + request.headers["x-user"]']
        - name: x-secret
          operation: REMOVE
        responseHeaderOperations:
        - name: x-served-by
          values: ['"offpath"']
          operation: APPEND
        - name: x-debug
          operation: REMOVE
      """;

  private final FakeTicker ticker = new FakeTicker();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final PolicyStore store =
      new PolicyStore(
          new RuntimeServices(
              AdapterRegistry.installed(), ticker, ticker, scheduler, RuntimeMetrics.NOOP, false));
  private final List<Attributes> reports = new CopyOnWriteArrayList<>();
  private final ReportSink sink = reports::add;
  private ExternalProcessorService service =
      new ExternalProcessorService(store, RequestLimits.DEFAULT, sink, ticker, ticker);
  private Server server;
  private ManagedChannel channel;

  private void start(String policy) throws Exception {
    if (policy != null) {
      store.install(new ConfigLoader(AdapterRegistry.installed()).loadTexts(
          List.of(new ConfigText("policy.yaml", policy))));
    }
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    store.close();
    scheduler.shutdownNow();
  }

  private ProcessingClient stream() {
    return new ProcessingClient(channel);
  }

  private static Map<String, String> set(List<HeaderValueOption> options) {
    return options.stream()
        .collect(Collectors.toMap(h -> h.getHeader().getKey(), h -> h.getHeader().getValue()));
  }

  @Test
  void deniedRequestGetsAnImmediate403AndIsReported() throws Exception {
    start(POLICY);
    ProcessingClient envoy = stream();
    ProcessingResponse r =
        envoy.exchange(
            requestHeaders(":method", "GET", ":path", "/admin/users", ":authority", "shop"));

    ImmediateResponse immediate = r.getImmediateResponse();
    assertThat(immediate.getStatus().getCodeValue()).isEqualTo(403);
    assertThat(immediate.getBody().toStringUtf8())
        .isEqualTo("PERMISSION_DENIED:denyadmin.handler.istio-system:admin area is internal only\n");
    assertThat(set(immediate.getHeaders().getSetHeadersList()))
        .containsEntry("content-type", "text/plain");
    assertThat(immediate.getGrpcStatus().getStatus()).isEqualTo(7);
    assertThat(immediate.getDetails()).isEqualTo("offpath_permission_denied");
    Struct meta = r.getDynamicMetadata().getFieldsOrThrow("offpath").getStructValue();
    assertThat(meta.getFieldsOrThrow("rule").getStringValue()).isEqualTo("denyadmin.rule.istio-system");
    assertThat(meta.getFieldsOrThrow("status").getStringValue()).isEqualTo("PERMISSION_DENIED");
    // The server ends the stream: Envoy sends nothing more for a request it answered itself.
    assertThat(envoy.end().getCode()).isEqualTo(Status.Code.OK);

    assertThat(reports).hasSize(1);
    Attributes bag = reports.get(0);
    assertThat(bag.get("request.path")).isEqualTo("/admin/users");
    assertThat(bag.get("response.code")).isEqualTo(403L);
    assertThat(bag.get("response.duration")).isEqualTo(Duration.ZERO);
    assertThat(service.stats().reportsAccepted()).isEqualTo(1);
  }

  @Test
  void allowedRequestGetsTheRulesHeaderMutationsInBothPhasesAndTheWholeRequestIsReported()
      throws Exception {
    start(POLICY);
    ProcessingClient envoy = stream();
    ProcessingResponse onRequest =
        envoy.exchange(
            requestHeaders(
                ":method", "POST",
                ":path", "/shop?item=a%20b",
                ":authority", "shop.example.com",
                ":scheme", "https",
                "x-user", "carol",
                "x-request-id", "req-7",
                "content-length", "12"));
    var common = onRequest.getRequestHeaders().getResponse();
    assertThat(set(common.getHeaderMutation().getSetHeadersList()))
        .containsExactly(Map.entry("x-user-id", "user-carol"));
    assertThat(common.getHeaderMutation().getRemoveHeadersList()).containsExactly("x-secret");
    assertThat(common.getClearRouteCache()).isTrue();
    assertThat(reports).isEmpty();

    ticker.advance(Duration.ofMillis(25));
    ProcessingResponse onResponse =
        envoy.exchange(
            responseHeaders(":status", "201", "content-length", "5", "x-debug", "on"));
    var mutation = onResponse.getResponseHeaders().getResponse().getHeaderMutation();
    assertThat(set(mutation.getSetHeadersList())).containsExactly(Map.entry("x-served-by", "offpath"));
    assertThat(mutation.getSetHeaders(0).getAppendAction())
        .isEqualTo(HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD);
    assertThat(mutation.getRemoveHeadersList()).containsExactly("x-debug");

    assertThat(reports).hasSize(1);
    Attributes bag = reports.get(0);
    assertThat(bag.get("request.method")).isEqualTo("POST");
    assertThat(bag.get("request.url_path")).isEqualTo("/shop");
    assertThat(bag.get("request.host")).isEqualTo("shop.example.com");
    assertThat(bag.get("request.scheme")).isEqualTo("https");
    assertThat(bag.get("request.id")).isEqualTo("req-7");
    assertThat(bag.get("request.size")).isEqualTo(12L);
    assertThat(((StringMap) bag.get("request.query_params")).get("item")).isEqualTo("a b");
    assertThat(((StringMap) bag.get("request.headers")).get("x-user")).isEqualTo("carol");
    assertThat(bag.get("request.time")).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
    assertThat(bag.get("response.code")).isEqualTo(201L);
    assertThat(bag.get("response.size")).isEqualTo(5L);
    assertThat(((StringMap) bag.get("response.headers")).get("x-debug")).isEqualTo("on");
    assertThat(bag.get("response.duration")).isEqualTo(Duration.ofMillis(25));
    assertThat(bag.get("response.time")).isEqualTo(Instant.parse("2026-01-01T00:00:00.025Z"));

    envoy.halfClose();
    assertThat(envoy.end().getCode()).isEqualTo(Status.Code.OK);
    assertThat(envoy.pending()).isNull();
    for (StreamError e : StreamError.values()) {
      assertThat(service.stats().errors(e)).as(e.label()).isZero();
    }
  }

  @Test
  void envoyRequestAttributesFillPeersConnectionAndTime() throws Exception {
    start(POLICY);
    Struct attrs =
        Struct.newBuilder()
            .putFields("source.address", string("10.1.2.3:51000"))
            .putFields("destination.address", string("[2001:db8::1]:8080"))
            .putFields("destination.port", string("8443"))
            .putFields(
                "connection.uri_san_peer_certificate",
                string("spiffe://cluster.local/ns/default/sa/frontend"))
            .putFields("connection.requested_server_name", string("shop.example.com"))
            .putFields("connection.mtls", Value.newBuilder().setBoolValue(true).build())
            .putFields("request.time", string("2025-03-04T05:06:07.5+00:00"))
            .putFields("request.protocol", string("HTTP/2"))
            .build();
    ProcessingClient envoy = stream();
    envoy.exchange(
        requestHeaders(":method", "GET", ":path", "/")
            .toBuilder()
            .putAttributes("envoy.filters.http.ext_proc", attrs)
            .build());
    envoy.exchange(responseHeaders(":status", "200"));

    Attributes bag = reports.get(0);
    assertThat(bag.get("source.ip")).isEqualTo(IpAddress.parse("10.1.2.3"));
    assertThat(bag.get("source.port")).isEqualTo(51000L);
    assertThat(bag.get("destination.ip")).isEqualTo(IpAddress.parse("2001:db8::1"));
    assertThat(bag.get("destination.port")).isEqualTo(8443L);
    assertThat(bag.get("source.principal")).isEqualTo("spiffe://cluster.local/ns/default/sa/frontend");
    assertThat(bag.get("connection.mtls")).isEqualTo(true);
    assertThat(bag.get("connection.requested_server_name")).isEqualTo("shop.example.com");
    assertThat(bag.get("request.time")).isEqualTo(Instant.parse("2025-03-04T05:06:07.5Z"));
    assertThat(bag.get("context.protocol")).isEqualTo("http");
  }

  @Test
  void bodiesAndTrailersSentAnywayAreContinuedUnchanged() throws Exception {
    start(POLICY);
    ProcessingClient envoy = stream();
    envoy.exchange(requestHeaders(":method", "POST", ":path", "/upload"));
    HttpBody chunk = HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("data")).build();
    assertThat(envoy.exchange(ProcessingRequest.newBuilder().setRequestBody(chunk).build()))
        .isEqualTo(ProcessingResponses.CONTINUE_REQUEST_BODY);
    assertThat(
            envoy.exchange(
                ProcessingRequest.newBuilder().setRequestTrailers(HttpTrailers.getDefaultInstance()).build()))
        .isEqualTo(ProcessingResponses.CONTINUE_REQUEST_TRAILERS);
    assertThat(envoy.exchange(responseHeaders(":status", "200")))
        .isEqualTo(ProcessingResponses.CONTINUE_RESPONSE_HEADERS);
    assertThat(envoy.exchange(ProcessingRequest.newBuilder().setResponseBody(chunk).build()))
        .isEqualTo(ProcessingResponses.CONTINUE_RESPONSE_BODY);
    assertThat(
            envoy.exchange(
                ProcessingRequest.newBuilder()
                    .setResponseTrailers(HttpTrailers.getDefaultInstance())
                    .build()))
        .isEqualTo(ProcessingResponses.CONTINUE_RESPONSE_TRAILERS);
    envoy.halfClose();
    assertThat(envoy.end().getCode()).isEqualTo(Status.Code.OK);
    assertThat(reports).hasSize(1);
  }

  /** A decider whose decisions wait (as for an out-of-process adapter) until {@code gate} opens. */
  private Decider gated(CompletableFuture<Void> gate) {
    return new Decider() {
      @Override
      public Outcome decide(Attributes attributes) {
        Decision d = store.check(attributes);
        return new PendingDecision(gate.thenApply(ignored -> d));
      }

      @Override
      public AttributeManifest manifest() {
        return store.manifest();
      }
    };
  }

  @Test
  void aPendingDecisionHoldsLaterMessagesAndAnswersEverythingInOrder() throws Exception {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    service = new ExternalProcessorService(gated(gate), RequestLimits.DEFAULT, sink, ticker, ticker);
    start(POLICY);
    ProcessingClient envoy = stream();
    envoy.send(requestHeaders(":method", "POST", ":path", "/upload", "x-user", "ann"));
    HttpBody chunk = HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("data")).build();
    envoy.send(ProcessingRequest.newBuilder().setRequestBody(chunk).build());
    assertThat(envoy.pending()).isNull();

    Thread adapter = new Thread(() -> gate.complete(null), "adapter-answer");
    adapter.start();
    ProcessingResponse headers = envoy.next();
    assertThat(headers.getRequestHeaders().getResponse().getHeaderMutation().getSetHeadersList())
        .extracting(o -> o.getHeader().getKey())
        .contains("x-user-id");
    assertThat(envoy.next()).isEqualTo(ProcessingResponses.CONTINUE_REQUEST_BODY);
    adapter.join();
    assertThat(envoy.exchange(responseHeaders(":status", "200")).hasResponseHeaders()).isTrue();
    envoy.halfClose();
    assertThat(envoy.end().getCode()).isEqualTo(Status.Code.OK);
    assertThat(reports).hasSize(1);
  }

  @Test
  void aDeniedPendingDecisionAfterAHalfCloseStillAnswersAndReports() throws Exception {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    service = new ExternalProcessorService(gated(gate), RequestLimits.DEFAULT, sink, ticker, ticker);
    start(POLICY);
    ProcessingClient envoy = stream();
    envoy.send(requestHeaders(":method", "GET", ":path", "/admin/x"));
    envoy.halfClose();
    gate.complete(null);
    assertThat(envoy.next().getImmediateResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(envoy.end().getCode()).isEqualTo(Status.Code.OK);
    assertThat(reports).hasSize(1);
  }

  @Test
  void tooManyMessagesWhileDecidingEndTheStreamWithResourceExhausted() throws Exception {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    service = new ExternalProcessorService(gated(gate), RequestLimits.DEFAULT, sink, ticker, ticker);
    start(POLICY);
    ProcessingClient envoy = stream();
    envoy.send(requestHeaders(":method", "POST", ":path", "/upload"));
    HttpBody chunk = HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("data")).build();
    for (int i = 0; i <= ProcessingStream.MAX_HELD; i++) {
      envoy.send(ProcessingRequest.newBuilder().setRequestBody(chunk).build());
    }
    assertThat(envoy.end().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    gate.complete(null); // the late decision finds the stream closed and sends nothing
    assertThat(envoy.pending()).isNull();
    assertThat(service.stats().errors(StreamError.BACKLOG)).isEqualTo(1);
  }

  @Test
  void observabilityModeAnswersNothingEnforcesNothingReportsAndCloses() throws Exception {
    start(POLICY);
    ProcessingClient envoy = stream();
    envoy.send(
        requestHeaders(":method", "GET", ":path", "/admin").toBuilder().setObservabilityMode(true).build());
    ticker.advance(Duration.ofMillis(3));
    envoy.send(
        responseHeaders(":status", "200").toBuilder().setObservabilityMode(true).build());
    // The server closes once the response phase is reported; nothing was answered before that.
    assertThat(envoy.end().getCode()).isEqualTo(Status.Code.OK);
    assertThat(envoy.pending()).isNull();
    assertThat(reports).hasSize(1);
    assertThat(reports.get(0).get("response.code")).isEqualTo(200L);
    assertThat(reports.get(0).get("response.duration")).isEqualTo(Duration.ofMillis(3));
  }

  @Test
  void malformedStreamsEndWithAClearStatusAndAreCounted() throws Exception {
    start(POLICY);

    ProcessingClient empty = stream();
    empty.send(ProcessingRequest.getDefaultInstance());
    Status s = empty.end();
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).startsWith("ProcessingRequest with no part set");

    ProcessingClient responseFirst = stream();
    responseFirst.send(responseHeaders(":status", "200"));
    s = responseFirst.end();
    assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s.getDescription())
        .isEqualTo("unexpected response_headers before request_headers (one stream carries one HTTP request)");

    ProcessingClient twice = stream();
    twice.exchange(requestHeaders(":method", "GET", ":path", "/"));
    twice.send(requestHeaders(":method", "GET", ":path", "/"));
    s = twice.end();
    assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s.getDescription()).startsWith("unexpected request_headers before response_headers");

    ProcessingClient bodyFirst = stream();
    bodyFirst.send(ProcessingRequest.newBuilder().setResponseBody(HttpBody.getDefaultInstance()).build());
    assertThat(bodyFirst.end().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);

    ProcessingClient silent = stream();
    silent.halfClose();
    s = silent.end();
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).isEqualTo("stream ended before request_headers");

    ProcessingClient gone = stream();
    gone.exchange(requestHeaders(":method", "GET", ":path", "/"));
    gone.halfClose();
    assertThat(gone.end().getCode()).isEqualTo(Status.Code.OK);
    assertThat(reports).hasSize(1);
    assertThat(reports.get(0).get("response.code")).isNull();

    ExtProcStats stats = service.stats();
    assertThat(stats.errors(StreamError.EMPTY_MESSAGE)).isEqualTo(1);
    assertThat(stats.errors(StreamError.OUT_OF_ORDER)).isEqualTo(3);
    assertThat(stats.errors(StreamError.ENDED_BEFORE_REQUEST)).isEqualTo(1);
    assertThat(stats.errors(StreamError.ENDED_BEFORE_RESPONSE)).isEqualTo(1);

    // The service keeps serving whole requests after all that.
    ProcessingClient fine = stream();
    assertThat(fine.exchange(requestHeaders(":method", "GET", ":path", "/")))
        .isEqualTo(ProcessingResponses.CONTINUE_REQUEST_HEADERS);
  }

  @Test
  void requestOverTheLimitsGetsAnImmediate400() throws Exception {
    service = new ExternalProcessorService(store, new RequestLimits(3, 1000), sink, ticker, ticker);
    start(POLICY);
    ProcessingClient envoy = stream();
    ProcessingResponse r =
        envoy.exchange(requestHeaders(":method", "GET", ":path", "/", "a", "1", "b", "2"));
    assertThat(r.getImmediateResponse().getStatus().getCodeValue()).isEqualTo(400);
    assertThat(r.getImmediateResponse().getBody().toStringUtf8())
        .isEqualTo("INVALID_ARGUMENT:too many request headers: 4 (limit: 3)\n");
    assertThat(envoy.end().getCode()).isEqualTo(Status.Code.OK);
    assertThat(service.stats().errors(StreamError.INVALID_REQUEST)).isEqualTo(1);
  }

  @Test
  void noConfigYetIsUnavailableSoEnvoyAppliesItsFailureMode() throws Exception {
    start(null);
    ProcessingClient envoy = stream();
    envoy.send(requestHeaders(":method", "GET", ":path", "/"));
    assertThat(envoy.end().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(service.stats().errors(StreamError.UNAVAILABLE)).isEqualTo(1);
  }

  @Test
  void aRefusingSinkIsCountedAndNeverStallsTheStream() throws Exception {
    service = new ExternalProcessorService(store, RequestLimits.DEFAULT, ReportSink.DISCARD, ticker, ticker);
    start(POLICY);
    ProcessingClient envoy = stream();
    envoy.exchange(requestHeaders(":method", "GET", ":path", "/"));
    assertThat(envoy.exchange(responseHeaders(":status", "200")))
        .isEqualTo(ProcessingResponses.CONTINUE_RESPONSE_HEADERS);
    assertThat(service.stats().reportsRefused()).isEqualTo(1);
    assertThat(service.stats().reportsAccepted()).isZero();
  }

  private static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

}
