package dev.offpath.envoy.attributes;

/**
 * Caps on what one request may carry into the attribute bag; a request over them is denied with
 * INVALID_ARGUMENT (HTTP 400) and a message naming the limit, instead of costing memory and time.
 */
public record RequestLimits(int maxHeaders, int maxHeaderBytes) {

  /** 256 headers, 64 KiB of header names and values (Envoy's own default is 100 headers, 60 KiB). */
  public static final RequestLimits DEFAULT = new RequestLimits(256, 64 * 1024);

  public RequestLimits {
    if (maxHeaders <= 0) {
      throw new IllegalArgumentException("maxHeaders: " + maxHeaders + " (expected: > 0)");
    }
    if (maxHeaderBytes <= 0) {
      throw new IllegalArgumentException("maxHeaderBytes: " + maxHeaderBytes + " (expected: > 0)");
    }
  }
}
