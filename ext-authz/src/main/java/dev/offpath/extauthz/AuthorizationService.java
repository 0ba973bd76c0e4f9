package dev.offpath.extauthz;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.log.RateLimitedLog;
import dev.offpath.core.runtime.Decider;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.Outcome;
import dev.offpath.envoy.attributes.InvalidRequestException;
import dev.offpath.envoy.attributes.LazyCheckRequest;
import dev.offpath.envoy.attributes.RequestAttributes;
import dev.offpath.envoy.attributes.RequestLimits;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import dev.offpath.core.runtime.NotReadyException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code envoy.service.auth.v3.Authorization/Check}: request → attributes → {@link Decider} →
 * response. Thin by design; all policy lives in the decider. Two entry points share everything
 * after the attribute bag: {@link #check(CheckRequest, StreamObserver)} for a request protobuf-java
 * parsed (this class bound as a {@code BindableService}) and {@link #check(LazyCheckRequest,
 * StreamObserver)} for one kept as its bytes ({@link LazyCheckService}, the server's default;
 * README "Performance", lazy decode). Non-blocking, so it is safe to run on
 * the transport's threads (the server may use a direct executor): a decision that waits for an
 * out-of-process check adapter is answered from the thread that completes it ({@link Outcome}).
 *
 * <p>Errors: a request over {@link RequestLimits} is denied with 400 and the reason; no config loaded
 * yet → gRPC UNAVAILABLE (Envoy then applies its {@code failure_mode_allow}); anything unexpected →
 * gRPC INTERNAL, logged with the request id, and the server stays up.
 */
public final class AuthorizationService extends AuthorizationGrpc.AuthorizationImplBase {

  private static final Logger log = LoggerFactory.getLogger(AuthorizationService.class);

  /** A failing check logs its trace once per 10 s, not once per request on the event loop. */
  private static final RateLimitedLog errors = RateLimitedLog.of(log);

  private final Decider decider;
  private final RequestLimits limits;

  public AuthorizationService(Decider decider, RequestLimits limits) {
    this.decider = requireNonNull(decider, "decider");
    this.limits = requireNonNull(limits, "limits");
  }

  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> responseObserver) {
    Attributes attributes;
    try {
      attributes = RequestAttributes.of(request.getAttributes(), decider.manifest(), limits);
    } catch (InvalidRequestException e) {
      respond(responseObserver, CheckResponses.invalid(String.valueOf(e.getMessage())));
      return;
    } catch (NotReadyException e) {
      unavailable(responseObserver, e);
      return;
    } catch (RuntimeException e) {
      failed(request, responseObserver, e);
      return;
    }
    decide(request, attributes, responseObserver);
  }

  /**
   * The same Check for a request kept as its bytes ({@link LazyCheckService} binds it to the wire):
   * only the attributes are made differently, with the same names, values and {@link
   * InvalidRequestException}s; everything after them (decider, cache, metrics, tracing, decision
   * log, response) is the parsed path's.
   */
  public void check(LazyCheckRequest request, StreamObserver<CheckResponse> responseObserver) {
    Attributes attributes;
    try {
      attributes = request.attributes(decider.manifest(), limits);
    } catch (InvalidRequestException e) {
      respond(responseObserver, CheckResponses.invalid(String.valueOf(e.getMessage())));
      return;
    } catch (NotReadyException e) {
      unavailable(responseObserver, e);
      return;
    } catch (RuntimeException e) {
      failed(request, responseObserver, e);
      return;
    }
    decide(request, attributes, responseObserver);
  }

  /** {@code request} is a {@link CheckRequest} or a {@link LazyCheckRequest}, read only for logs. */
  private void decide(Object request, Attributes attributes, StreamObserver<CheckResponse> out) {
    Outcome outcome;
    try {
      outcome = decider.decide(attributes);
    } catch (NotReadyException e) {
      unavailable(out, e);
      return;
    } catch (RuntimeException e) {
      failed(request, out, e);
      return;
    }
    Decision now = outcome.now();
    if (now != null) {
      respond(request, out, now);
    } else {
      outcome.whenDecided(d -> respond(request, out, d));
    }
  }

  private static void unavailable(StreamObserver<CheckResponse> out, NotReadyException e) {
    out.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
  }

  private static void respond(Object request, StreamObserver<CheckResponse> out, Decision decision) {
    CheckResponse response;
    try {
      response = CheckResponses.of(decision);
    } catch (RuntimeException e) {
      failed(request, out, e);
      return;
    }
    respond(out, response);
  }

  private static void respond(StreamObserver<CheckResponse> out, CheckResponse response) {
    out.onNext(response);
    out.onCompleted();
  }

  private static void failed(Object request, StreamObserver<CheckResponse> out, RuntimeException e) {
    errors.error("check-internal", "check failed for request id '{}'", requestId(request), e);
    out.onError(Status.INTERNAL.withDescription("check failed").asRuntimeException());
  }

  private static String requestId(Object request) {
    try {
      return request instanceof LazyCheckRequest lazy
          ? lazy.requestId()
          : ((CheckRequest) request).getAttributes().getRequest().getHttp().getId();
    } catch (RuntimeException e) {
      return "?";
    }
  }

  /**
   * The response for one request, without gRPC around it, waiting for out-of-process adapters: for
   * benchmarks and tools, never on a transport thread.
   */
  public CheckResponse decide(CheckRequest request) {
    Attributes attributes;
    try {
      attributes = RequestAttributes.of(request.getAttributes(), decider.manifest(), limits);
    } catch (InvalidRequestException e) {
      return CheckResponses.invalid(String.valueOf(e.getMessage()));
    }
    return CheckResponses.of(decider.check(attributes));
  }

  /** {@link #decide(CheckRequest)} for a request kept as its bytes. */
  public CheckResponse decide(LazyCheckRequest request) {
    Attributes attributes;
    try {
      attributes = request.attributes(decider.manifest(), limits);
    } catch (InvalidRequestException e) {
      return CheckResponses.invalid(String.valueOf(e.getMessage()));
    }
    return CheckResponses.of(decider.check(attributes));
  }
}
