package dev.offpath.envoy.attributes;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.config.HeaderOperation.Operation;
import dev.offpath.core.runtime.HeaderMutation;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;

/**
 * The parts of Envoy replies every front door builds the same way: a rule's header operation as a
 * {@link HeaderValueOption}, and a denial's {@code content-type} header and text body.
 */
public final class EnvoyReplies {

  /** {@code content-type: text/plain}, replacing any other, on denials. */
  public static final HeaderValueOption CONTENT_TYPE_TEXT =
      HeaderValueOption.newBuilder()
          .setHeader(HeaderValue.newBuilder().setKey("content-type").setValue("text/plain"))
          .setAppendAction(HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
          .build();

  private EnvoyReplies() {}

  /**
   * A set or append operation as a header option: APPEND adds a value, REPLACE overwrites. A REMOVE
   * has no option form; callers list its name among the headers to remove.
   */
  public static HeaderValueOption option(HeaderMutation m) {
    requireNonNull(m, "m");
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(m.name()).setValue(m.value()))
        .setAppendAction(
            m.operation() == Operation.APPEND
                ? HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD
                : HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }

  /** The body of a denial: {@code CODE:message} and a newline. */
  public static String deniedBody(StatusCode code, String message) {
    return code.name() + ":" + message + "\n";
  }
}
