package dev.offpath.remote;

import io.grpc.Status;
import java.util.Locale;

/**
 * How a call to an adapter ended, the {@code result} label of {@code offpath_adapter_calls_total}
 * and the {@code reason} of dropped report instances.
 */
enum CallOutcome {
  OK,
  /** The adapter answered with an error status, or the answer could not be read. */
  ERROR,
  /** The call's deadline ({@code connection.timeout}) passed. */
  TIMEOUT,
  /** No connection to the adapter (down, refused, TLS handshake failed). */
  UNAVAILABLE,
  /** Not sent: the handler's circuit breaker is open. */
  CIRCUIT_OPEN,
  /** Not sent: too many calls already in flight for this handler. */
  OVERLOADED;

  final String label = name().toLowerCase(Locale.ROOT);

  /** The outcome of a call that failed with {@code error}. */
  static CallOutcome of(Throwable error) {
    Status status = Status.fromThrowable(error);
    return switch (status.getCode()) {
      case DEADLINE_EXCEEDED -> TIMEOUT;
      case UNAVAILABLE -> UNAVAILABLE;
      default -> ERROR;
    };
  }

  /** Whether the outcome counts against the adapter's health (its circuit breaker). */
  boolean isFailure() {
    return this == ERROR || this == TIMEOUT || this == UNAVAILABLE;
  }
}
