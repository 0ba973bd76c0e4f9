package dev.offpath.server.tracing;

import java.net.URI;
import org.jspecify.annotations.Nullable;

/**
 * Mixer's tracing flags.
 *
 * @param zipkinUrl where spans are sent ({@code --trace-zipkin-url}, Zipkin's v2 API, e.g. {@code
 *     http://zipkin:9411/api/v2/spans}); null: not sent
 * @param sampleRate the share of traces Offpath starts itself, 0..1 ({@code --trace-sample-rate});
 *     a request whose headers carry a sampling decision (Envoy's {@code traceparent} or {@code
 *     x-b3-sampled}) follows it instead
 * @param logSpans log every finished span ({@code --trace-log-spans})
 */
public record TracingOptions(@Nullable URI zipkinUrl, double sampleRate, boolean logSpans) {

  /** Tracing off: no spans, no cost on the request path. */
  public static final TracingOptions OFF = new TracingOptions(null, 0, false);

  public TracingOptions {
    if (!(sampleRate >= 0 && sampleRate <= 1)) {
      throw new IllegalArgumentException(
          "trace-sample-rate: " + sampleRate + " (expected: 0.0..1.0)");
    }
    if (zipkinUrl != null) {
      String scheme = zipkinUrl.getScheme();
      if (!"http".equals(scheme) && !"https".equals(scheme) || zipkinUrl.getHost() == null) {
        throw new IllegalArgumentException(
            "trace-zipkin-url: " + zipkinUrl + " (expected: http(s)://host:port/api/v2/spans)");
      }
    }
  }

  /** Parses the command line's values; {@code zipkinUrl} may be null or empty. */
  public static TracingOptions of(@Nullable String zipkinUrl, double sampleRate, boolean logSpans) {
    URI url = null;
    if (zipkinUrl != null && !zipkinUrl.isBlank()) {
      try {
        url = URI.create(zipkinUrl.strip());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "trace-zipkin-url: " + zipkinUrl + " (expected: a URL: " + e.getMessage() + ")");
      }
    }
    return new TracingOptions(url, sampleRate, logSpans);
  }

  /** Whether spans go anywhere. */
  public boolean enabled() {
    return zipkinUrl != null || logSpans;
  }

  @Override
  public String toString() {
    if (!enabled()) {
      return "off";
    }
    return "sample rate " + sampleRate + (zipkinUrl != null ? ", zipkin " + zipkinUrl : "")
        + (logSpans ? ", spans logged" : "");
  }
}
