package dev.offpath.core.telemetry;

/** Why a request's attributes never reached the report rules; a label of the drop counter. */
public enum DropReason {
  /** {@link ReportSink#offer} found the queue full (front doors that cannot wait, ext_proc). */
  QUEUE_FULL("queue_full"),
  /** Offered after the pipeline stopped accepting (shutdown began). */
  SHUTDOWN("shutdown"),
  /** Accepted, but still queued when the shutdown's flush deadline passed. */
  SHUTDOWN_TIMEOUT("shutdown_timeout"),
  /** A front door could not turn the entry into attributes (counted by the front door). */
  MALFORMED("malformed");

  private final String label;

  DropReason(String label) {
    this.label = label;
  }

  /** The metric label value ({@code queue_full}, …). */
  public String label() {
    return label;
  }
}
