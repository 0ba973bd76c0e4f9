package dev.offpath.server.tracing;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.trace.TraceSpan;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The OpenTelemetry SDK as Offpath uses it: a tracer provider sampling parent-based with {@code
 * traceIdRatioBased(rate)} for roots and for remote parents without a decision (a request whose
 * headers say "sampled" is traced; {@link TracingDecider} never starts a span for one that says
 * "not sampled"), batch processors to the Zipkin and/or log exporters, propagation from W3C
 * {@code traceparent} and B3 ({@code x-b3-*} or {@code b3}) headers; and core's tracing SPI ({@link
 * #spi()}) on top of it.
 *
 * <p>Built only when tracing is on; {@link #close()} exports what is buffered (up to 5 s) and stops
 * the processors' threads. Thread-safe.
 */
public final class OtelTracing implements AutoCloseable {

  static final String SERVICE_NAME = "offpath";
  static final String SCOPE = "dev.offpath";

  private final TracingOptions options;
  private final SdkTracerProvider provider;
  private final Tracer tracer;
  private final TextMapPropagator propagator =
      // B3 first: when a request carries both, W3C's traceparent (extracted last) wins.
      TextMapPropagator.composite(
          B3Propagator.injectingMultiHeaders(), W3CTraceContextPropagator.getInstance());
  private final Spi spi = new Spi();

  private OtelTracing(TracingOptions options, SdkTracerProvider provider) {
    this.options = options;
    this.provider = provider;
    this.tracer = provider.get(SCOPE);
  }

  /** Starts the SDK for {@code options}, which must be {@link TracingOptions#enabled()}. */
  public static OtelTracing start(TracingOptions options) {
    requireNonNull(options, "options");
    if (!options.enabled()) {
      throw new IllegalArgumentException("tracing: off (expected: a Zipkin URL or --trace-log-spans)");
    }
    SdkTracerProviderBuilder b =
        SdkTracerProvider.builder()
            .setResource(
                Resource.create(
                    Attributes.of(AttributeKey.stringKey("service.name"), SERVICE_NAME)))
            // A remote parent that is "not sampled" here deferred the decision (TracingDecider skips
            // requests that said "not sampled"): it gets the rate, as a new trace would.
            .setSampler(
                Sampler.parentBasedBuilder(Sampler.traceIdRatioBased(options.sampleRate()))
                    .setRemoteParentNotSampled(Sampler.traceIdRatioBased(options.sampleRate()))
                    .build());
    if (options.zipkinUrl() != null) {
      b.addSpanProcessor(batch(new ZipkinSpanExporter(options.zipkinUrl(), SERVICE_NAME)));
    }
    if (options.logSpans()) {
      b.addSpanProcessor(batch(new LogSpanExporter()));
    }
    return new OtelTracing(options, b.build());
  }

  private static BatchSpanProcessor batch(SpanExporter exporter) {
    // Bounded: at most 8,192 spans wait; beyond that the SDK drops and counts them.
    return BatchSpanProcessor.builder(exporter)
        .setScheduleDelay(Duration.ofSeconds(1))
        .setMaxQueueSize(8192)
        .setMaxExportBatchSize(512)
        .build();
  }

  public TracingOptions options() {
    return options;
  }

  /** The OpenTelemetry tracer spans are started from. */
  public Tracer tracer() {
    return tracer;
  }

  /** Extracts a request's trace context from W3C and B3 headers. */
  public TextMapPropagator propagator() {
    return propagator;
  }

  /** Core's tracing SPI over this SDK. */
  public dev.offpath.core.trace.Tracer spi() {
    return spi;
  }

  @Override
  public void close() {
    provider.forceFlush().join(5, TimeUnit.SECONDS);
    provider.shutdown().join(5, TimeUnit.SECONDS);
  }

  /** Spans of the SPI: children of the current context; unsampled ones are {@link TraceSpan#NOOP}. */
  private final class Spi implements dev.offpath.core.trace.Tracer {
    @Override
    public TraceSpan start(String name) {
      Span span = tracer.spanBuilder(name).startSpan();
      return span.isRecording() ? new OtelSpan(span) : TraceSpan.NOOP;
    }

    @Override
    public TraceSpan current() {
      Span span = Span.current();
      return span.isRecording() ? new OtelSpan(span) : TraceSpan.NOOP;
    }
  }

  /** A recording OpenTelemetry span behind the SPI. */
  static final class OtelSpan implements TraceSpan {
    private final Span span;

    OtelSpan(Span span) {
      this.span = span;
    }

    @Override
    public TraceSpan attribute(String key, String value) {
      span.setAttribute(key, value);
      return this;
    }

    @Override
    public TraceSpan attribute(String key, long value) {
      span.setAttribute(key, value);
      return this;
    }

    @Override
    public TraceSpan error(String message) {
      span.setStatus(StatusCode.ERROR, message);
      return this;
    }

    @Override
    @SuppressWarnings("MustBeClosedChecker") // handed to the caller, who closes it
    public TraceSpan.Scope makeCurrent() {
      io.opentelemetry.context.Scope scope = Context.current().with(span).makeCurrent();
      return scope::close;
    }

    @Override
    public boolean recording() {
      return span.isRecording();
    }

    @Override
    public void end() {
      span.end();
    }
  }
}
