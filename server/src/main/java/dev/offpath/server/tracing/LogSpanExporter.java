package dev.offpath.server.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --trace-log-spans} (Mixer's {@code trace_log_spans}): one log line per finished span on
 * the {@code dev.offpath.trace} logger at INFO: {@code span NAME trace=… id=… parent=… µs=…
 * key=value…}.
 */
final class LogSpanExporter implements SpanExporter {

  static final Logger log = LoggerFactory.getLogger("dev.offpath.trace");

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    for (SpanData s : spans) {
      log.info("{}", line(s));
    }
    return CompletableResultCode.ofSuccess();
  }

  static String line(SpanData s) {
    StringBuilder b = new StringBuilder(160);
    b.append("span ").append(s.getName()).append(" trace=").append(s.getTraceId())
        .append(" id=").append(s.getSpanId());
    if (s.getParentSpanContext().isValid()) {
      b.append(" parent=").append(s.getParentSpanId());
    }
    b.append(" us=").append(TimeUnit.NANOSECONDS.toMicros(s.getEndEpochNanos() - s.getStartEpochNanos()));
    for (Map.Entry<AttributeKey<?>, Object> a : s.getAttributes().asMap().entrySet()) {
      b.append(' ').append(a.getKey().getKey()).append('=').append(a.getValue());
    }
    if (s.getStatus().getStatusCode() == StatusCode.ERROR) {
      b.append(" error=").append(s.getStatus().getDescription());
    }
    return b.toString();
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }
}
