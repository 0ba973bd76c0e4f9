package dev.offpath.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigText;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.runtime.RuntimeServices;
import dev.offpath.core.time.FakeTicker;
import dev.offpath.envoy.attributes.RequestLimits;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Fuzzes the ext_proc stream state machine ({@link ProcessingStream}) through a real in-process
 * gRPC server and stub: the fuzz data is a script of what Envoy does on one stream, then one
 * well-formed stream follows on the same service.
 *
 * <p>The script, byte by byte (the seed corpus is written in it): the first byte picks the service
 * (odd: one with no config loaded yet); then up to {@value #MAX_OPS} operations, each an opcode
 * byte (modulo 5) and its operands:
 *
 * <ul>
 *   <li>0, a varint length and that many bytes: send them parsed as a {@code ProcessingRequest} (any
 *       part, any content; bytes that do not parse are skipped);
 *   <li>1, then three bytes (part, header set, observability): send a message built to reach the
 *       state machine's branches: any of the six parts or none, request headers that are allowed,
 *       denied, rewritten, over the header limits (count or bytes), or carry Envoy attributes;
 *   <li>2: half-close (Envoy is done), ends the script; 3: cancel, ends the script;
 *   <li>4: send the previous message again (a duplicate).
 * </ul>
 *
 * A script that ends without 2 or 3 half-closes.
 *
 * <p>Invariants: no exception escapes the service into gRPC (an interceptor catches and records
 * any, and any message sent or close after the call closed); the stream ends — after a
 * half-close, always within a bounded wait — with one of the documented statuses (OK,
 * INVALID_ARGUMENT, FAILED_PRECONDITION; UNAVAILABLE only without config; CANCELLED only after a
 * cancel), never INTERNAL, with a short description of Offpath's own words (no exception, no stack
 * trace); no more answers than messages, none in observability mode, an immediate response only as
 * the last answer; at most one report per stream; and the well-formed stream after it is answered
 * as on a fresh service (no state leaks from one stream into the next).
 *
 * <p>{@code ./offpath test} replays the seed corpus in {@code ProcessingStreamFuzzTestInputs/}
 * (test resources) and every crash found so far; {@code .ci/fuzz ProcessingStreamFuzzTest} fuzzes
 * (README "Security").
 */
class ProcessingStreamFuzzTest {

  static final int MAX_OPS = 64;

  /** What the interceptor caught on the server side during the current input. */
  private static final Queue<Throwable> ESCAPED = new ConcurrentLinkedQueue<>();

  private static final List<Attributes> REPORTS = new CopyOnWriteArrayList<>();

  private static final Server CONFIGURED = new Server(true);
  private static final Server UNCONFIGURED = new Server(false);

  /** An in-process server with one ext_proc service, its decider with or without the test policy. */
  private static final class Server {
    final ExternalProcessorService service;
    final ManagedChannel channel;

    Server(boolean configured) {
      FakeTicker ticker = new FakeTicker();
      PolicyStore store =
          new PolicyStore(
              new RuntimeServices(
                  AdapterRegistry.installed(),
                  ticker,
                  ticker,
                  Executors.newSingleThreadScheduledExecutor(
                      r -> {
                        Thread t = new Thread(r, "extproc-fuzz-scheduler");
                        t.setDaemon(true);
                        return t;
                      }),
                  RuntimeMetrics.NOOP,
                  false));
      if (configured) {
        try {
          store.install(
              new ConfigLoader(AdapterRegistry.installed())
                  .loadTexts(
                      List.of(
                          new ConfigText("policy.yaml", ExternalProcessorServiceTest.POLICY))));
        } catch (ConfigException e) {
          throw new IllegalStateException("the test policy does not load", e);
        }
      }
      service = new ExternalProcessorService(store, RequestLimits.DEFAULT, REPORTS::add, ticker, ticker);
      String name = InProcessServerBuilder.generateName();
      try {
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(ServerInterceptors.intercept(service, new Catching()))
            .build()
            .start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }
  }

  @FuzzTest(maxDuration = "5m")
  void stream(byte[] script) throws Exception {
    ESCAPED.clear();
    REPORTS.clear();
    CodedInputStream in = CodedInputStream.newInstance(script);
    Server server = in.isAtEnd() || (in.readRawByte() & 1) == 0 ? CONFIGURED : UNCONFIGURED;
    long internalBefore = server.service.stats().errors(StreamError.INTERNAL);
    Envoy envoy = new Envoy(server.channel);
    boolean cancelled = false;
    boolean ended = false;
    boolean allObserving = true;
    boolean anyObserving = false;
    int sent = 0;
    ProcessingRequest previous = null;
    for (int op = 0; op < MAX_OPS && !in.isAtEnd() && !ended; op++) {
      ProcessingRequest message = null;
      switch ((in.readRawByte() & 0xff) % 5) {
        case 0 -> message = parsed(in);
        case 1 -> message = built(in);
        case 2 -> ended = true;
        case 3 -> {
          ended = true;
          cancelled = true;
        }
        default -> message = previous;
      }
      if (message != null) {
        envoy.requests.onNext(message);
        sent++;
        previous = message;
        allObserving &= message.getObservabilityMode();
        anyObserving |= message.getObservabilityMode();
      }
    }
    if (cancelled) {
      envoy.requests.onError(Status.CANCELLED.withDescription("envoy went away").asRuntimeException());
    } else {
      envoy.requests.onCompleted();
    }
    Status end = envoy.end.get(10, TimeUnit.SECONDS);

    assertThat(ESCAPED).as("exceptions that escaped the service into gRPC").isEmpty();
    assertThat(server.service.stats().errors(StreamError.INTERNAL)).isEqualTo(internalBefore);
    Set<Status.Code> allowed =
        cancelled
            ? Set.of(Status.Code.CANCELLED, Status.Code.OK, Status.Code.INVALID_ARGUMENT,
                Status.Code.FAILED_PRECONDITION, Status.Code.UNAVAILABLE)
            : server == CONFIGURED
                ? Set.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT, Status.Code.FAILED_PRECONDITION)
                : Set.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT,
                    Status.Code.FAILED_PRECONDITION, Status.Code.UNAVAILABLE);
    assertThat(end.getCode()).as("how the stream ended: %s", end).isIn(allowed);
    if (end.getDescription() != null && end.getCode() != Status.Code.CANCELLED) {
      assertThat(end.getDescription())
          .hasSizeLessThan(300)
          .doesNotContain("Exception", "\tat ", "java.", "dev.offpath");
    }
    assertThat(envoy.answers.size()).isLessThanOrEqualTo(sent);
    if (allObserving && sent > 0) {
      assertThat(envoy.answers).as("answers in observability mode").isEmpty();
    }
    for (int i = 0; i < envoy.answers.size() - 1; i++) {
      assertThat(envoy.answers.get(i).hasImmediateResponse())
          .as("an immediate response before the last answer")
          .isFalse();
    }
    assertThat(REPORTS.size()).as("reports of one stream").isLessThanOrEqualTo(1);
    if (!anyObserving && REPORTS.isEmpty() && end.isOk() && !envoy.answers.isEmpty()) {
      assertThat(envoy.answers.getLast().hasImmediateResponse())
          .as("a stream that ends OK after an answer was reported, or denied")
          .isTrue();
    }

    wellFormedStreamAfter(server);
  }

  /** One allowed request and its response on the same service: answered as on a fresh one. */
  private static void wellFormedStreamAfter(Server server) throws Exception {
    REPORTS.clear();
    Envoy envoy = new Envoy(server.channel);
    envoy.requests.onNext(
        ProcessingRequest.newBuilder()
            .setRequestHeaders(
                HttpHeaders.newBuilder()
                    .setHeaders(headers(":method", "GET", ":path", "/ok", "x-user", "alice")))
            .build());
    envoy.requests.onNext(
        ProcessingRequest.newBuilder()
            .setResponseHeaders(HttpHeaders.newBuilder().setHeaders(headers(":status", "200")))
            .build());
    envoy.requests.onCompleted();
    Status end = envoy.end.get(10, TimeUnit.SECONDS);
    if (server == CONFIGURED) {
      assertThat(end).as("a well-formed stream after the fuzzed one").isEqualTo(Status.OK);
      assertThat(envoy.answers).hasSize(2);
      assertThat(envoy.answers.get(0).getRequestHeaders().getResponse().getHeaderMutation().getSetHeadersList())
          .anySatisfy(h -> assertThat(h.getHeader().getKey()).isEqualTo("x-user-id"));
      assertThat(envoy.answers.get(1).hasResponseHeaders()).isTrue();
      assertThat(REPORTS).hasSize(1);
    } else {
      assertThat(end.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(envoy.answers).isEmpty();
      assertThat(REPORTS).isEmpty();
    }
    assertThat(ESCAPED).isEmpty();
  }

  private static @Nullable ProcessingRequest parsed(CodedInputStream in) throws IOException {
    int length;
    byte[] bytes;
    try {
      length = in.readRawVarint32();
      if (length < 0 || length > 1 << 20) {
        return null;
      }
      bytes = in.readRawBytes(length);
    } catch (InvalidProtocolBufferException e) {
      return null; // the script ended inside the operand
    }
    try {
      return ProcessingRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }

  private static @Nullable ProcessingRequest built(CodedInputStream in) throws IOException {
    int part;
    int headerSet;
    boolean observing;
    try {
      part = in.readRawByte() & 0xff;
      headerSet = in.readRawByte() & 0xff;
      observing = (in.readRawByte() & 1) == 1;
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
    ProcessingRequest.Builder b = ProcessingRequest.newBuilder().setObservabilityMode(observing);
    HttpBody body = HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("chunk")).build();
    switch (part % 7) {
      case 0 -> requestHeaders(b, headerSet);
      case 1 -> b.setRequestBody(body);
      case 2 -> b.setRequestTrailers(HttpTrailers.newBuilder().setTrailers(headers("x-t", "1")));
      case 3 ->
          b.setResponseHeaders(
              HttpHeaders.newBuilder()
                  .setHeaders(
                      headerSet % 3 == 0
                          ? many(RequestLimits.DEFAULT.maxHeaders() + 1)
                          : headers(":status", headerSet % 3 == 1 ? "503" : "x", "content-length",
                              headerSet % 2 == 0 ? "12" : "-1")));
      case 4 -> b.setResponseBody(body.toBuilder().setEndOfStream(true));
      case 5 -> b.setResponseTrailers(HttpTrailers.getDefaultInstance());
      default -> {} // no part
    }
    return b.build();
  }

  /** Request headers reaching each branch of the request phase. */
  private static void requestHeaders(ProcessingRequest.Builder b, int headerSet) {
    HttpHeaders.Builder h = HttpHeaders.newBuilder();
    switch (headerSet % 8) {
      case 0 -> h.setHeaders(headers(":method", "GET", ":path", "/ok"));
      case 1 -> h.setHeaders(headers(":method", "GET", ":path", "/admin/x"));
      case 2 -> h.setHeaders(headers(":method", "POST", ":path", "/ok", "x-user", "bob", "x-secret", "s"));
      case 3 -> h.setHeaders(many(RequestLimits.DEFAULT.maxHeaders() + 1));
      case 4 ->
          h.setHeaders(
              headers(":path", "/ok", "x-big", "v".repeat(RequestLimits.DEFAULT.maxHeaderBytes())));
      case 5 -> {
        h.setHeaders(headers(":path", "/ok", "content-length", "99999999999999999999"));
        b.putAttributes(
            "envoy.filters.http.ext_proc",
            Struct.newBuilder()
                .putFields("source.address", string("[::1]:99999"))
                .putFields("destination.port", Value.newBuilder().setNumberValue(1e300).build())
                .putFields("request.time", string("+999999999-12-31T23:59:59Z"))
                .putFields("connection.mtls", string("maybe"))
                .putFields("request.path", string("/admin"))
                .build());
      }
      case 6 ->
          b.putAttributes(
              "x",
              Struct.newBuilder()
                  .putFields("request.time", string("2026-01-01T00:00:00Z"))
                  .putFields("source.address", string("10.0.0.1:80"))
                  .build());
      default -> h.setHeaders(headers(":path", "", ":method", "\u0000"));
    }
    b.setRequestHeaders(h);
  }

  private static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private static HeaderMap headers(String... nameValues) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (int i = 0; i < nameValues.length; i += 2) {
      map.addHeaders(
          HeaderValue.newBuilder()
              .setKey(nameValues[i])
              .setRawValue(ByteString.copyFromUtf8(nameValues[i + 1])));
    }
    return map.build();
  }

  private static HeaderMap many(int n) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (int i = 0; i < n; i++) {
      map.addHeaders(HeaderValue.newBuilder().setKey("x-h" + i).setValue("v"));
    }
    return map.build();
  }

  /** Envoy's end of one stream: the answers it got and how the stream ended. */
  private static final class Envoy implements StreamObserver<ProcessingResponse> {
    final List<ProcessingResponse> answers = new CopyOnWriteArrayList<>();
    final CompletableFuture<Status> end = new CompletableFuture<>();
    final StreamObserver<ProcessingRequest> requests;

    Envoy(ManagedChannel channel) {
      requests = ExternalProcessorGrpc.newStub(channel).process(this);
    }

    @Override
    public void onNext(ProcessingResponse value) {
      if (end.isDone()) {
        ESCAPED.add(new IllegalStateException("an answer after the stream ended: " + value));
      }
      answers.add(value);
    }

    @Override
    public void onError(Throwable t) {
      if (!end.complete(Status.fromThrowable(t))) {
        ESCAPED.add(new IllegalStateException("the stream ended twice", t));
      }
    }

    @Override
    public void onCompleted() {
      if (!end.complete(Status.OK)) {
        ESCAPED.add(new IllegalStateException("the stream ended twice"));
      }
    }
  }

  /**
   * Records, on the server side, any exception the service lets escape into gRPC (which would
   * otherwise turn it into an UNKNOWN status and a log line) and any message or close after the
   * call closed.
   */
  private static final class Catching implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      ServerCall<Q, R> watched =
          new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            private boolean closed;

            @Override
            public void sendMessage(R message) {
              if (closed) {
                ESCAPED.add(new IllegalStateException("a message after close: " + message));
              }
              super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
              if (closed) {
                ESCAPED.add(new IllegalStateException("closed twice, then with " + status));
              }
              closed = true;
              super.close(status, trailers);
            }
          };
      ServerCall.Listener<Q> listener = next.startCall(watched, headers);
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
        @Override
        public void onMessage(Q message) {
          guard(() -> super.onMessage(message));
        }

        @Override
        public void onHalfClose() {
          guard(super::onHalfClose);
        }

        @Override
        public void onCancel() {
          guard(super::onCancel);
        }

        @Override
        public void onComplete() {
          guard(super::onComplete);
        }

        @Override
        public void onReady() {
          guard(super::onReady);
        }
      };
    }

    private static void guard(Runnable r) {
      try {
        r.run();
      } catch (RuntimeException | Error e) {
        ESCAPED.add(e);
        throw e;
      }
    }
  }
}
