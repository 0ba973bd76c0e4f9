package dev.offpath.extproc;

import dev.offpath.core.log.RateLimitedLog;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.Outcome;
import dev.offpath.core.runtime.HeaderMutation;
import dev.offpath.envoy.attributes.EnvoyReplies;
import dev.offpath.envoy.attributes.InvalidRequestException;
import dev.offpath.envoy.attributes.RequestAttributes;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import dev.offpath.core.runtime.NotReadyException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ext_proc stream, which is one HTTP request, as a small state machine:
 *
 * <pre>
 * AWAIT_REQUEST ──request_headers──► REQUEST_PASSED ──response_headers──► RESPONSE_PASSED
 *       │                               │  (request body/trailers: continue)   (bodies/trailers:
 *       │                               │                                        continue)
 *       └── denied: ImmediateResponse, report, close ──────────────────────────────────► CLOSED
 * </pre>
 *
 * <ul>
 *   <li>request_headers: attributes (shared mapping) → decider; allow → the rule's request header
 *       mutations, response header mutations kept for the response phase; deny → immediate
 *       response, the denial reported, stream closed.
 *   <li>response_headers: {@code response.code}, {@code response.headers}, {@code response.size}
 *       (content-length), {@code response.time} and {@code response.duration} (since request_headers)
 *       join the request's bag, which goes to the report sink; answered with the response header
 *       mutations.
 *   <li>Malformed streams never hang: a message with no part → INVALID_ARGUMENT; a part out of order
 *       → FAILED_PRECONDITION; a half-close before request_headers → INVALID_ARGUMENT; a half-close
 *       before response_headers → the request is reported without a response and the stream closes
 *       OK. Each is counted by {@link StreamError}. Messages after the stream closed are ignored.
 *   <li>Observability mode (from the first message): nothing is sent until the response phase has
 *       been reported, then the stream is closed; no policy is evaluated.
 * </ul>
 *
 * <p>A decision that waits for an out-of-process check adapter ({@link Outcome}) puts the stream in
 * a DECIDING phase: messages that arrive meanwhile (Envoy normally sends none before the headers
 * are answered) are held, at most {@link #MAX_HELD} (beyond: RESOURCE_EXHAUSTED), with a
 * half-close, and handled in order when the decision arrives.
 *
 * <p>Threads: gRPC delivers one call's events one at a time; a pending decision completes on an
 * adapter's thread. Every entry point holds this stream's monitor, so the state machine runs one
 * event at a time and answers are sent in order.
 */
final class ProcessingStream implements StreamObserver<ProcessingRequest> {

  private static final Logger log = LoggerFactory.getLogger(ProcessingStream.class);

  /** Failures on the request path log once per kind per 10 s with a count, not per request. */
  private static final RateLimitedLog errors = RateLimitedLog.of(log);

  /** Messages held while a decision is pending (see the class comment). */
  static final int MAX_HELD = 16;

  private enum Phase {
    AWAIT_REQUEST,
    /** The request's decision waits for an out-of-process check adapter. */
    DECIDING,
    REQUEST_PASSED,
    RESPONSE_PASSED,
    CLOSED
  }

  private final ExternalProcessorService service;
  private final StreamObserver<ProcessingResponse> out;
  private final long streamId;
  private Phase phase = Phase.AWAIT_REQUEST;
  private boolean observing;
  private @Nullable Attributes requestBag;
  private long requestNanos;
  private List<HeaderMutation> responseMutations = List.of();
  /** Messages received while {@link Phase#DECIDING}, handled in order once the decision is known. */
  private @Nullable ArrayDeque<ProcessingRequest> held;
  private boolean halfClosedWhileDeciding;

  ProcessingStream(
      ExternalProcessorService service, StreamObserver<ProcessingResponse> out, long streamId) {
    this.service = service;
    this.out = out;
    this.streamId = streamId;
  }

  @Override
  public synchronized void onNext(ProcessingRequest request) {
    if (phase == Phase.CLOSED) {
      return;
    }
    if (phase == Phase.DECIDING) {
      hold(request);
      return;
    }
    try {
      handle(request);
    } catch (RuntimeException e) {
      errors.error("extproc-internal", "ext_proc stream {}: {} failed", streamId, request.getRequestCase(), e);
      fail(Status.INTERNAL, StreamError.INTERNAL, "ext_proc failed");
    }
  }

  private void handle(ProcessingRequest request) {
    if (phase == Phase.AWAIT_REQUEST) {
      observing = request.getObservabilityMode();
    }
    switch (request.getRequestCase()) {
      case REQUEST_HEADERS -> {
        if (expect(request, phase == Phase.AWAIT_REQUEST)) {
          requestHeaders(request);
        }
      }
      case REQUEST_BODY -> {
        if (expect(request, requestPassed())) {
          answer(ProcessingResponses.CONTINUE_REQUEST_BODY);
        }
      }
      case REQUEST_TRAILERS -> {
        if (expect(request, requestPassed())) {
          answer(ProcessingResponses.CONTINUE_REQUEST_TRAILERS);
        }
      }
      case RESPONSE_HEADERS -> {
        if (expect(request, phase == Phase.REQUEST_PASSED)) {
          responseHeaders(request);
        }
      }
      case RESPONSE_BODY -> {
        if (expect(request, phase == Phase.RESPONSE_PASSED)) {
          answer(ProcessingResponses.CONTINUE_RESPONSE_BODY);
        }
      }
      case RESPONSE_TRAILERS -> {
        if (expect(request, phase == Phase.RESPONSE_PASSED)) {
          answer(ProcessingResponses.CONTINUE_RESPONSE_TRAILERS);
        }
      }
      case REQUEST_NOT_SET ->
          fail(
              Status.INVALID_ARGUMENT,
              StreamError.EMPTY_MESSAGE,
              "ProcessingRequest with no part set (expected: request_headers, response_headers, a"
                  + " body or trailers)");
    }
  }

  /** Request bodies and trailers may still stream after the response started (gRPC, say). */
  private boolean requestPassed() {
    return phase == Phase.REQUEST_PASSED || phase == Phase.RESPONSE_PASSED;
  }

  private boolean expect(ProcessingRequest request, boolean inOrder) {
    if (!inOrder) {
      fail(
          Status.FAILED_PRECONDITION,
          StreamError.OUT_OF_ORDER,
          "unexpected "
              + partName(request)
              + " "
              + switch (phase) {
                case AWAIT_REQUEST -> "before request_headers";
                case DECIDING -> "while request_headers is decided";
                case REQUEST_PASSED -> "before response_headers";
                case RESPONSE_PASSED, CLOSED -> "after response_headers";
              }
              + " (one stream carries one HTTP request)");
    }
    return inOrder;
  }

  private void requestHeaders(ProcessingRequest request) {
    requestNanos = service.ticker.nanoTime();
    AttributeContext ctx = ProcessingRequests.context(request, service.clock);
    Attributes bag;
    try {
      bag = RequestAttributes.of(ctx, service.decider.manifest(), service.limits);
    } catch (InvalidRequestException e) {
      service.stats.error(StreamError.INVALID_REQUEST);
      if (observing) {
        fail(Status.INVALID_ARGUMENT, null, String.valueOf(e.getMessage()));
      } else {
        answer(ProcessingResponses.invalid(String.valueOf(e.getMessage())));
        close();
      }
      return;
    } catch (NotReadyException e) {
      // No config yet (the manifest comes with it).
      fail(Status.UNAVAILABLE, StreamError.UNAVAILABLE, String.valueOf(e.getMessage()));
      return;
    }
    if (observing) {
      requestBag = bag;
      phase = Phase.REQUEST_PASSED;
      return;
    }
    Outcome outcome;
    try {
      outcome = service.decider.decide(bag);
    } catch (NotReadyException e) {
      fail(Status.UNAVAILABLE, StreamError.UNAVAILABLE, String.valueOf(e.getMessage()));
      return;
    }
    Decision now = outcome.now();
    if (now != null) {
      decided(bag, now);
      return;
    }
    phase = Phase.DECIDING;
    outcome.whenDecided(d -> decidedLater(bag, d));
  }

  /** A pending decision arrived: answer it, then what was held meanwhile. */
  private synchronized void decidedLater(Attributes bag, Decision decision) {
    if (phase != Phase.DECIDING) {
      return; // cancelled or failed meanwhile
    }
    try {
      decided(bag, decision);
      ArrayDeque<ProcessingRequest> queue = held;
      held = null;
      while (queue != null && !queue.isEmpty() && phase != Phase.CLOSED) {
        handle(queue.poll());
      }
      if (halfClosedWhileDeciding && phase != Phase.CLOSED) {
        onCompleted();
      }
    } catch (RuntimeException e) {
      errors.error("extproc-internal", "ext_proc stream {}: decision failed", streamId, e);
      fail(Status.INTERNAL, StreamError.INTERNAL, "ext_proc failed");
    }
  }

  private void hold(ProcessingRequest request) {
    ArrayDeque<ProcessingRequest> queue = held;
    if (queue == null) {
      queue = held = new ArrayDeque<>();
    }
    if (queue.size() >= MAX_HELD) {
      held = null;
      fail(
          Status.RESOURCE_EXHAUSTED,
          StreamError.BACKLOG,
          "more than " + MAX_HELD + " messages before request_headers was answered");
      return;
    }
    queue.add(request);
  }

  /** The request phase's decision, known: answered, and the stream moves on or closes. */
  private void decided(Attributes bag, Decision decision) {
    if (!decision.allowed()) {
      answer(ProcessingResponses.denied(decision));
      StatusCode code = decision.status().code();
      String body = EnvoyReplies.deniedBody(code, decision.status().message());
      report(
          bag,
          code.httpStatus(),
          StringMap.of(Map.of("content-type", "text/plain")),
          body.length());
      close();
      return;
    }
    requestBag = bag;
    responseMutations = decision.responseHeaderMutations();
    phase = Phase.REQUEST_PASSED;
    answer(ProcessingResponses.requestHeaders(decision.requestHeaderMutations()));
  }

  private void responseHeaders(ProcessingRequest request) {
    HeaderMap headers = request.getResponseHeaders().getHeaders();
    Map<String, String> byName;
    try {
      byName = RequestAttributes.headers(headers, service.limits, "response");
    } catch (InvalidRequestException e) {
      service.stats.error(StreamError.RESPONSE_HEADERS_OVER_LIMIT);
      byName = null;
    }
    long code = -1;
    long size = -1;
    for (var hv : headers.getHeadersList()) {
      switch (hv.getKey()) {
        case ":status" -> code = ProcessingRequests.parseLong(ProcessingRequests.value(hv), -1);
        case "content-length" -> size = ProcessingRequests.parseLong(ProcessingRequests.value(hv), -1);
        default -> {}
      }
    }
    report(
        requestBag(),
        code,
        byName == null ? null : StringMap.of(byName),
        size);
    phase = Phase.RESPONSE_PASSED;
    if (observing) {
      close();
    } else {
      answer(ProcessingResponses.responseHeaders(responseMutations));
    }
  }

  private Attributes requestBag() {
    Attributes bag = requestBag;
    if (bag == null) {
      throw new IllegalStateException("no request attributes in phase " + phase);
    }
    return bag;
  }

  /** The request's bag with the response attributes that are known (negative: unknown). */
  private void report(
      Attributes request, long code, @Nullable StringMap headers, long size) {
    MapAttributes.Builder b = MapAttributes.builder();
    for (String name : request.names()) {
      b.putIfNotNull(name, request.get(name));
    }
    if (code >= 0) {
      b.put("response.code", code);
    }
    if (headers != null) {
      b.put("response.headers", headers);
    }
    if (size >= 0) {
      b.put("response.size", size);
    }
    b.put("response.time", service.clock.instant());
    b.put("response.duration", Duration.ofNanos(service.ticker.nanoTime() - requestNanos));
    service.stats.reported(service.sink.offer(b.build()));
  }

  @Override
  public synchronized void onError(Throwable t) {
    held = null;
    if (phase == Phase.AWAIT_REQUEST || phase == Phase.DECIDING || phase == Phase.REQUEST_PASSED) {
      service.stats.error(StreamError.CANCELLED);
      log.debug("ext_proc stream {} cancelled by Envoy: {}", streamId, Status.fromThrowable(t));
    }
    phase = Phase.CLOSED;
  }

  @Override
  public synchronized void onCompleted() {
    switch (phase) {
      case DECIDING -> halfClosedWhileDeciding = true;
      case AWAIT_REQUEST ->
          fail(
              Status.INVALID_ARGUMENT,
              StreamError.ENDED_BEFORE_REQUEST,
              "stream ended before request_headers");
      case REQUEST_PASSED -> {
        service.stats.error(StreamError.ENDED_BEFORE_RESPONSE);
        report(requestBag(), -1, null, -1);
        close();
      }
      case RESPONSE_PASSED -> close();
      case CLOSED -> {}
    }
  }

  private void answer(ProcessingResponse response) {
    if (!observing) {
      out.onNext(response);
    }
  }

  private void close() {
    phase = Phase.CLOSED;
    out.onCompleted();
  }

  private void fail(Status status, @Nullable StreamError error, String message) {
    if (error != null) {
      service.stats.error(error);
    }
    phase = Phase.CLOSED;
    StatusRuntimeException e = status.withDescription(message).asRuntimeException();
    out.onError(e);
  }

  private static String partName(ProcessingRequest request) {
    return switch (request.getRequestCase()) {
      case REQUEST_HEADERS -> "request_headers";
      case RESPONSE_HEADERS -> "response_headers";
      case REQUEST_BODY -> "request_body";
      case RESPONSE_BODY -> "response_body";
      case REQUEST_TRAILERS -> "request_trailers";
      case RESPONSE_TRAILERS -> "response_trailers";
      case REQUEST_NOT_SET -> "empty message";
    };
  }
}
