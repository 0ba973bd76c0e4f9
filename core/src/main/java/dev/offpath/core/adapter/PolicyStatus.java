package dev.offpath.core.adapter;

import static java.util.Objects.requireNonNull;

/** A status code and message, as an adapter or a combined decision reports it. */
public record PolicyStatus(StatusCode code, String message) {

  public static final PolicyStatus OK = new PolicyStatus(StatusCode.OK, "");

  public PolicyStatus {
    requireNonNull(code, "code");
    requireNonNull(message, "message");
  }

  public static PolicyStatus of(StatusCode code, String message) {
    return new PolicyStatus(code, message);
  }

  public boolean isOk() {
    return code == StatusCode.OK;
  }
}
