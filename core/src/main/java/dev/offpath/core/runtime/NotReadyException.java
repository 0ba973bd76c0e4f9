package dev.offpath.core.runtime;

/**
 * No config has been installed yet, so there is nothing to decide with. Front doors answer it with
 * gRPC UNAVAILABLE (Envoy then applies its {@code failure_mode_allow}); any other exception from
 * the decision path is a bug and is answered INTERNAL.
 */
public final class NotReadyException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public NotReadyException() {
    super("no config loaded yet", null, false, false);
  }
}
