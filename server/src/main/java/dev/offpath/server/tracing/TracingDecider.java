package dev.offpath.server.tracing;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.runtime.Decider;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.Outcome;
import dev.offpath.core.runtime.PolicyEngine;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The Check span ({@code offpath.check}, kind SERVER): wraps the decider every front door uses, so
 * ext_authz and ext_proc Checks alike are traced. The span joins the request's own trace: its parent
 * is read from the request's {@code traceparent} / {@code tracestate} or {@code x-b3-*} / {@code b3}
 * headers (Envoy forwards them in the {@code CheckRequest}), and a sampling decision there is kept:
 * a sampled request is traced, an unsampled one is not (no span is started); B3 ids without a
 * decision, and requests without trace headers, are sampled at the configured rate.
 *
 * <p>While the span is current, the check cache notes {@code offpath.cache} (hit/miss), handler
 * dispatches become child spans ({@link TracingRuntimeMetrics}), and a Redis prefetch a quota
 * triggers is a child too. At the end the span gets {@code offpath.allowed}, {@code
 * offpath.status}, {@code offpath.rule} / {@code offpath.handler} (the deciding ones, for a denial)
 * and {@code offpath.rules} (the rules that matched).
 *
 * <p>Installed only when tracing is on; an unsampled Check costs the header lookups and the
 * sampler's decision. Thread-safe.
 */
public final class TracingDecider implements Decider {

  private static final TextMapGetter<StringMap> HEADERS =
      new TextMapGetter<>() {
        @Override
        @SuppressWarnings("deprecation") // still abstract in TextMapGetter; propagators call it
        public Iterable<String> keys(StringMap carrier) {
          return carrier.asMap().keySet();
        }

        @Override
        public @Nullable String get(@Nullable StringMap carrier, String key) {
          // Header names are lower case in the bag; B3 asks for "X-B3-TraceId".
          return carrier == null ? null : carrier.get(key.toLowerCase(Locale.ROOT));
        }
      };

  private final Decider delegate;
  private final Supplier<PolicyEngine> engine;
  private final OtelTracing tracing;

  public TracingDecider(Decider delegate, Supplier<PolicyEngine> engine, OtelTracing tracing) {
    this.delegate = requireNonNull(delegate, "delegate");
    this.engine = requireNonNull(engine, "engine");
    this.tracing = requireNonNull(tracing, "tracing");
  }

  /**
   * The span is current while the decision is evaluated (so adapter calls it starts are its
   * children) and ends when the decision is known: at once, or when out-of-process adapters have
   * answered.
   */
  @Override
  @SuppressWarnings("try") // the scope makes the span current for the decision below
  public Outcome decide(Attributes attributes) {
    Context parent = Context.root();
    if (attributes.get("request.headers") instanceof StringMap headers) {
      parent = tracing.propagator().extract(parent, headers, HEADERS);
      if (explicitlyUnsampled(parent, headers)) {
        return delegate.decide(attributes);
      }
    }
    Span span =
        tracing.tracer().spanBuilder("offpath.check").setParent(parent).setSpanKind(SpanKind.SERVER).startSpan();
    if (!span.isRecording()) {
      return delegate.decide(attributes);
    }
    Outcome outcome;
    try (Scope scope = parent.with(span).makeCurrent()) {
      outcome = delegate.decide(attributes);
    } catch (RuntimeException e) {
      span.setStatus(StatusCode.ERROR, e.toString());
      span.end();
      throw e;
    }
    Decision now = outcome.now();
    if (now != null) {
      return finish(span, now);
    }
    return outcome.map(d -> finish(span, d));
  }

  private Decision finish(Span span, Decision d) {
    try {
      span.setAttribute("offpath.allowed", d.allowed());
      span.setAttribute("offpath.status", d.status().code().name());
      if (d.decidingRule() != null) {
        span.setAttribute("offpath.rule", d.decidingRule());
      }
      if (d.decidingHandler() != null) {
        span.setAttribute("offpath.handler", d.decidingHandler());
      }
      List<String> rules = engine.get().ruleNames(d.matchedRules());
      if (!rules.isEmpty()) {
        span.setAttribute("offpath.rules", String.join(",", rules));
      }
      if (d.error()) {
        span.setStatus(StatusCode.ERROR, d.status().message());
      }
      return d;
    } finally {
      span.end();
    }
  }

  /**
   * Whether the request said "not sampled": traceparent's flags, {@code x-b3-sampled: 0} or a
   * {@code b3} header's sampling field. B3 ids without a sampling decision defer it to the receiver
   * (B3's rule; OpenTelemetry's extractor reads them as "not sampled"), so such a request is sampled
   * at Offpath's rate (see {@link OtelTracing}'s sampler).
   */
  static boolean explicitlyUnsampled(Context parent, StringMap headers) {
    SpanContext remote = Span.fromContext(parent).getSpanContext();
    if (!remote.isValid() || remote.isSampled()) {
      return false;
    }
    if (headers.get("traceparent") != null
        || headers.get("x-b3-sampled") != null
        || headers.get("x-b3-flags") != null) {
      return true;
    }
    String b3 = headers.get("b3");
    return b3 != null && (b3.equals("0") || b3.split("-", -1).length >= 3);
  }

  @Override
  public AttributeManifest manifest() {
    return delegate.manifest();
  }
}
