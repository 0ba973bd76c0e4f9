package dev.offpath.extauthz;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Status;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.config.HeaderOperation.Operation;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.HeaderMutation;
import dev.offpath.envoy.attributes.EnvoyReplies;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;

/**
 * Turns a {@link Decision} into Envoy's {@link CheckResponse}. An allow without header mutations is
 * one constant message; a denial carries the gRPC code, the HTTP status of DESIGN §1.1, a short
 * text body, and dynamic metadata naming the deciding rule and handler ({@code offpath.rule},
 * {@code offpath.handler}) for access logs.
 */
final class CheckResponses {

  static final CheckResponse OK =
      CheckResponse.newBuilder()
          .setStatus(Status.newBuilder().setCode(0))
          .setOkResponse(OkHttpResponse.getDefaultInstance())
          .build();

  private CheckResponses() {}

  static CheckResponse of(Decision decision) {
    if (decision.allowed()) {
      if (decision.requestHeaderMutations().isEmpty()
          && decision.responseHeaderMutations().isEmpty()) {
        return OK;
      }
      OkHttpResponse.Builder ok = OkHttpResponse.newBuilder();
      for (HeaderMutation m : decision.requestHeaderMutations()) {
        if (m.operation() == Operation.REMOVE) {
          ok.addHeadersToRemove(m.name());
        } else {
          ok.addHeaders(EnvoyReplies.option(m));
        }
      }
      for (HeaderMutation m : decision.responseHeaderMutations()) {
        if (m.operation() != Operation.REMOVE) {
          // ext_authz cannot remove response headers; Envoy offers only additions there.
          ok.addResponseHeadersToAdd(EnvoyReplies.option(m));
        }
      }
      return CheckResponse.newBuilder()
          .setStatus(Status.newBuilder().setCode(0))
          .setOkResponse(ok)
          .build();
    }
    return denied(decision.status().code(), decision.status().message(), decision);
  }

  static CheckResponse denied(StatusCode code, String message, Decision decision) {
    Struct.Builder meta = Struct.newBuilder();
    String rule = decision.decidingRule();
    if (rule != null) {
      meta.putFields("offpath.rule", Value.newBuilder().setStringValue(rule).build());
    }
    String handler = decision.decidingHandler();
    if (handler != null) {
      meta.putFields("offpath.handler", Value.newBuilder().setStringValue(handler).build());
    }
    return denied(code, message, meta.build());
  }

  static CheckResponse denied(StatusCode code, String message, Struct metadata) {
    Struct.Builder meta = metadata.toBuilder();
    meta.putFields("offpath.status", Value.newBuilder().setStringValue(code.name()).build());
    return CheckResponse.newBuilder()
        .setStatus(Status.newBuilder().setCode(code.number()).setMessage(message))
        .setDeniedResponse(
            DeniedHttpResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCodeValue(code.httpStatus()))
                .addHeaders(EnvoyReplies.CONTENT_TYPE_TEXT)
                .setBody(EnvoyReplies.deniedBody(code, message)))
        .setDynamicMetadata(meta)
        .build();
  }

  /** A request that could not be evaluated at all (over a limit): 400 with the reason. */
  static CheckResponse invalid(String message) {
    return denied(StatusCode.INVALID_ARGUMENT, message, Struct.getDefaultInstance());
  }
}
