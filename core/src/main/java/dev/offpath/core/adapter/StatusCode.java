package dev.offpath.core.adapter;

/**
 * The canonical status codes (google.rpc.Code) a policy decision carries, with the HTTP status a denial
 * maps to (DESIGN §1.1). Core knows no gRPC; front doors translate by {@link #number()}.
 */
public enum StatusCode {
  OK(0, 200),
  CANCELLED(1, 499),
  UNKNOWN(2, 500),
  INVALID_ARGUMENT(3, 400),
  DEADLINE_EXCEEDED(4, 504),
  NOT_FOUND(5, 404),
  ALREADY_EXISTS(6, 409),
  PERMISSION_DENIED(7, 403),
  RESOURCE_EXHAUSTED(8, 429),
  FAILED_PRECONDITION(9, 400),
  ABORTED(10, 409),
  OUT_OF_RANGE(11, 400),
  UNIMPLEMENTED(12, 501),
  INTERNAL(13, 500),
  UNAVAILABLE(14, 503),
  DATA_LOSS(15, 500),
  UNAUTHENTICATED(16, 401);

  private final int number;
  private final int httpStatus;

  StatusCode(int number, int httpStatus) {
    this.number = number;
    this.httpStatus = httpStatus;
  }

  /** The google.rpc.Code number. */
  public int number() {
    return number;
  }

  /** The HTTP status a denial with this code is answered with. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The code with this number; UNKNOWN for numbers outside 0..16. */
  public static StatusCode forNumber(int number) {
    StatusCode[] values = values();
    return number >= 0 && number < values.length ? values[number] : UNKNOWN;
  }
}
