package dev.offpath.extauthz;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.runtime.Decider;
import dev.offpath.core.runtime.Decision;
import dev.offpath.envoy.attributes.InvalidRequestException;
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
 * response. Thin by design; all policy lives in the decider. Non-blocking, so it is safe to run on
 * the transport's threads (the server may use a direct executor).
 *
 * <p>Errors: a request over {@link RequestLimits} is denied with 400 and the reason; no config loaded
 * yet → gRPC UNAVAILABLE (Envoy then applies its {@code failure_mode_allow}); anything unexpected →
 * gRPC INTERNAL, logged with the request id, and the server stays up.
 */
public final class AuthorizationService extends AuthorizationGrpc.AuthorizationImplBase {

  private static final Logger log = LoggerFactory.getLogger(AuthorizationService.class);

  private final Decider decider;
  private final RequestLimits limits;

  public AuthorizationService(Decider decider, RequestLimits limits) {
    this.decider = requireNonNull(decider, "decider");
    this.limits = requireNonNull(limits, "limits");
  }

  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> responseObserver) {
    CheckResponse response;
    try {
      response = decide(request);
    } catch (NotReadyException e) {
      responseObserver.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
      return;
    } catch (RuntimeException e) {
      log.error(
          "check failed for request id '{}'",
          request.getAttributes().getRequest().getHttp().getId(),
          e);
      responseObserver.onError(
          Status.INTERNAL.withDescription("check failed").asRuntimeException());
      return;
    }
    responseObserver.onNext(response);
    responseObserver.onCompleted();
  }

  /** The response for one request, without gRPC around it. */
  public CheckResponse decide(CheckRequest request) {
    Attributes attributes;
    try {
      attributes = RequestAttributes.of(request.getAttributes(), decider.manifest(), limits);
    } catch (InvalidRequestException e) {
      return CheckResponses.invalid(e.getMessage());
    }
    Decision decision = decider.check(attributes);
    return CheckResponses.of(decision);
  }
}
