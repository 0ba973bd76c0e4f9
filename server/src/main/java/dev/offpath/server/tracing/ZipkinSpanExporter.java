package dev.offpath.server.tracing;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends finished spans to a Zipkin server as Zipkin v2 JSON ({@code POST /api/v2/spans}), the
 * format every Zipkin-compatible collector accepts (Jaeger's and the OpenTelemetry Collector's Zipkin
 * receivers too). OpenTelemetry Java no longer ships a Zipkin exporter in its BOM, and the mapping
 * is small: ids as hex, times in microseconds, {@code kind} SERVER/CLIENT/PRODUCER/CONSUMER,
 * attributes as string tags, an error status as the {@code error} tag, events as annotations,
 * {@code localEndpoint.serviceName} {@code offpath}.
 *
 * <p>Called by the SDK's batch processor on its own thread; each call is one HTTP request with a
 * 10 s timeout. A failed export is logged (once per minute at most) and counted; spans are not
 * retried.
 */
final class ZipkinSpanExporter implements SpanExporter {

  private static final Logger log = LoggerFactory.getLogger(ZipkinSpanExporter.class);
  private static final JsonFactory JSON = new JsonFactory();

  private final URI endpoint;
  private final String serviceName;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicBoolean shutdown = new AtomicBoolean();
  private final LongAdder failures = new LongAdder();
  private volatile long lastWarning;

  ZipkinSpanExporter(URI endpoint, String serviceName) {
    this.endpoint = requireNonNull(endpoint, "endpoint");
    this.serviceName = requireNonNull(serviceName, "serviceName");
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    byte[] body = encode(spans, serviceName);
    CompletableResultCode result = new CompletableResultCode();
    http.sendAsync(
            HttpRequest.newBuilder(endpoint)
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .whenComplete(
            (response, error) -> {
              if (error == null && response.statusCode() / 100 == 2) {
                result.succeed();
                return;
              }
              failures.increment();
              long now = System.nanoTime();
              if (now - lastWarning > TimeUnit.MINUTES.toNanos(1)) {
                lastWarning = now;
                log.warn(
                    "sending {} span(s) to Zipkin at {} failed: {}",
                    spans.size(),
                    endpoint,
                    error != null ? error.toString() : "HTTP " + response.statusCode());
              }
              result.fail();
            });
    return result;
  }

  /** Spans whose export failed so far. */
  long failures() {
    return failures.sum();
  }

  static byte[] encode(Collection<SpanData> spans, String serviceName) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512 * spans.size());
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartArray();
      for (SpanData s : spans) {
        g.writeStartObject();
        g.writeStringField("traceId", s.getTraceId());
        g.writeStringField("id", s.getSpanId());
        if (s.getParentSpanContext().isValid()) {
          g.writeStringField("parentId", s.getParentSpanId());
        }
        g.writeStringField("name", s.getName());
        String kind = kind(s.getKind());
        if (kind != null) {
          g.writeStringField("kind", kind);
        }
        long start = TimeUnit.NANOSECONDS.toMicros(s.getStartEpochNanos());
        g.writeNumberField("timestamp", start);
        g.writeNumberField(
            "duration", Math.max(1, TimeUnit.NANOSECONDS.toMicros(s.getEndEpochNanos()) - start));
        g.writeObjectFieldStart("localEndpoint");
        g.writeStringField("serviceName", serviceName);
        g.writeEndObject();
        if (!s.getEvents().isEmpty()) {
          g.writeArrayFieldStart("annotations");
          for (EventData e : s.getEvents()) {
            g.writeStartObject();
            g.writeNumberField("timestamp", TimeUnit.NANOSECONDS.toMicros(e.getEpochNanos()));
            g.writeStringField("value", e.getName());
            g.writeEndObject();
          }
          g.writeEndArray();
        }
        g.writeObjectFieldStart("tags");
        for (Map.Entry<AttributeKey<?>, Object> a : s.getAttributes().asMap().entrySet()) {
          g.writeStringField(a.getKey().getKey(), String.valueOf(a.getValue()));
        }
        if (s.getStatus().getStatusCode() == StatusCode.ERROR) {
          String d = s.getStatus().getDescription();
          g.writeStringField("error", d == null || d.isEmpty() ? "true" : d);
        }
        g.writeStringField("otel.scope.name", s.getInstrumentationScopeInfo().getName());
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static @Nullable String kind(SpanKind kind) {
    return switch (kind) {
      case SERVER -> "SERVER";
      case CLIENT -> "CLIENT";
      case PRODUCER -> "PRODUCER";
      case CONSUMER -> "CONSUMER";
      case INTERNAL -> null;
    };
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    shutdown.set(true);
    return CompletableResultCode.ofSuccess();
  }
}
