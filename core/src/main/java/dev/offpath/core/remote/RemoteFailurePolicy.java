package dev.offpath.core.remote;

/**
 * What a check answers when its out-of-process adapter cannot (down, timed out, circuit open, an
 * error status from the transport): the handler annotation {@code offpath.dev/failure-policy}.
 */
public enum RemoteFailurePolicy {
  /** Denied with UNAVAILABLE (Envoy answers 503), never cached. The default. */
  FAIL_CLOSE,
  /** Allowed, valid only briefly so that the adapter is asked again soon. */
  FAIL_OPEN;

  /** The handler annotation that names the policy ({@code FAIL_CLOSE} or {@code FAIL_OPEN}). */
  public static final String ANNOTATION = "offpath.dev/failure-policy";
}
