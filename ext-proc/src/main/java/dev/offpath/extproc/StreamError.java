package dev.offpath.extproc;

import java.util.Locale;

/** Why an ext_proc stream ended otherwise than as one whole HTTP request; counted per reason. */
public enum StreamError {
  /** A {@code ProcessingRequest} with none of its parts set: INVALID_ARGUMENT. */
  EMPTY_MESSAGE,
  /** A part out of the order of one HTTP request (a second request_headers, say): FAILED_PRECONDITION. */
  OUT_OF_ORDER,
  /** Envoy half-closed before sending request_headers: INVALID_ARGUMENT. */
  ENDED_BEFORE_REQUEST,
  /**
   * Envoy half-closed after the request phase, before response_headers (the downstream went away, or
   * the response phase is configured off): the request is reported without a response; OK.
   */
  ENDED_BEFORE_RESPONSE,
  /** Envoy cancelled the stream mid-request. */
  CANCELLED,
  /** Request headers over the limits: a 400 immediate response (or INVALID_ARGUMENT when observing). */
  INVALID_REQUEST,
  /** Response headers over the limits: reported without {@code response.headers}. */
  RESPONSE_HEADERS_OVER_LIMIT,
  /** No config loaded yet: UNAVAILABLE, so Envoy applies its {@code failure_mode_allow}. */
  UNAVAILABLE,
  /**
   * More messages than the stream holds while its request's decision waits for an out-of-process
   * adapter: RESOURCE_EXHAUSTED.
   */
  BACKLOG,
  /** A bug: INTERNAL, logged. */
  INTERNAL;

  /** The metric label: the name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
