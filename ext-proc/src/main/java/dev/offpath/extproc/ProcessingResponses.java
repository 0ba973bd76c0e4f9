package dev.offpath.extproc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.config.HeaderOperation.Operation;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.HeaderMutation;
import dev.offpath.envoy.attributes.EnvoyReplies;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.GrpcStatus;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Envoy's answers to each part of a request. "Go on unchanged" answers are constants; an allow with
 * header operations becomes a {@link HeadersResponse} with a header mutation (request headers also
 * clear Envoy's route cache, so routes see the new headers); a denial becomes an {@link
 * ImmediateResponse} with the HTTP status of DESIGN §1.1 (as ext_authz answers it: the same status,
 * {@code content-type: text/plain} and {@code CODE:message} body), the gRPC status for gRPC
 * requests, {@code offpath_<code>} as response code details, and dynamic metadata under the {@code
 * offpath} namespace naming the rule, handler and status.
 */
final class ProcessingResponses {

  static final ProcessingResponse CONTINUE_REQUEST_HEADERS =
      ProcessingResponse.newBuilder().setRequestHeaders(HeadersResponse.getDefaultInstance()).build();
  static final ProcessingResponse CONTINUE_RESPONSE_HEADERS =
      ProcessingResponse.newBuilder().setResponseHeaders(HeadersResponse.getDefaultInstance()).build();
  static final ProcessingResponse CONTINUE_REQUEST_BODY =
      ProcessingResponse.newBuilder().setRequestBody(BodyResponse.getDefaultInstance()).build();
  static final ProcessingResponse CONTINUE_RESPONSE_BODY =
      ProcessingResponse.newBuilder().setResponseBody(BodyResponse.getDefaultInstance()).build();
  static final ProcessingResponse CONTINUE_REQUEST_TRAILERS =
      ProcessingResponse.newBuilder().setRequestTrailers(TrailersResponse.getDefaultInstance()).build();
  static final ProcessingResponse CONTINUE_RESPONSE_TRAILERS =
      ProcessingResponse.newBuilder().setResponseTrailers(TrailersResponse.getDefaultInstance()).build();

  /** The dynamic metadata namespace of denials. */
  static final String METADATA_NAMESPACE = "offpath";

  private ProcessingResponses() {}

  static ProcessingResponse requestHeaders(List<HeaderMutation> mutations) {
    if (mutations.isEmpty()) {
      return CONTINUE_REQUEST_HEADERS;
    }
    return ProcessingResponse.newBuilder()
        .setRequestHeaders(
            HeadersResponse.newBuilder()
                .setResponse(
                    CommonResponse.newBuilder()
                        .setHeaderMutation(mutation(mutations))
                        .setClearRouteCache(true)))
        .build();
  }

  static ProcessingResponse responseHeaders(List<HeaderMutation> mutations) {
    if (mutations.isEmpty()) {
      return CONTINUE_RESPONSE_HEADERS;
    }
    return ProcessingResponse.newBuilder()
        .setResponseHeaders(
            HeadersResponse.newBuilder()
                .setResponse(CommonResponse.newBuilder().setHeaderMutation(mutation(mutations))))
        .build();
  }

  /** Unlike ext_authz, ext_proc can remove response headers too. */
  private static io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation.Builder mutation(
      List<HeaderMutation> mutations) {
    var m = io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation.newBuilder();
    for (HeaderMutation h : mutations) {
      if (h.operation() == Operation.REMOVE) {
        m.addRemoveHeaders(h.name());
      } else {
        m.addSetHeaders(EnvoyReplies.option(h));
      }
    }
    return m;
  }

  static ProcessingResponse denied(Decision decision) {
    return immediate(
        decision.status().code(),
        decision.status().message(),
        decision.decidingRule(),
        decision.decidingHandler());
  }

  /** A request that could not be evaluated at all (over a limit): 400 with the reason. */
  static ProcessingResponse invalid(String message) {
    return immediate(StatusCode.INVALID_ARGUMENT, message, null, null);
  }

  private static ProcessingResponse immediate(
      StatusCode code, String message, @Nullable String rule, @Nullable String handler) {
    Struct.Builder meta = Struct.newBuilder();
    if (rule != null) {
      meta.putFields("rule", string(rule));
    }
    if (handler != null) {
      meta.putFields("handler", string(handler));
    }
    meta.putFields("status", string(code.name()));
    return ProcessingResponse.newBuilder()
        .setImmediateResponse(
            ImmediateResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCodeValue(code.httpStatus()))
                .setHeaders(
                    io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation.newBuilder()
                        .addSetHeaders(EnvoyReplies.CONTENT_TYPE_TEXT))
                .setBody(ByteString.copyFromUtf8(EnvoyReplies.deniedBody(code, message)))
                .setGrpcStatus(GrpcStatus.newBuilder().setStatus(code.number()))
                .setDetails("offpath_" + code.name().toLowerCase(Locale.ROOT)))
        .setDynamicMetadata(
            Struct.newBuilder()
                .putFields(
                    METADATA_NAMESPACE, Value.newBuilder().setStructValue(meta).build()))
        .build();
  }

  private static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }
}
