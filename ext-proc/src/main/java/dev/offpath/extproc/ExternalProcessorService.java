package dev.offpath.extproc;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.runtime.Decider;
import dev.offpath.core.telemetry.ReportSink;
import dev.offpath.core.time.Ticker;
import dev.offpath.envoy.attributes.RequestLimits;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code envoy.service.ext_proc.v3.ExternalProcessor/Process}: one stream per HTTP request, policy on
 * the request headers (the same attribute mapping and {@link Decider} as ext_authz), telemetry on the
 * response headers (the whole bag to a {@link ReportSink}). The per-stream protocol is in {@link
 * ProcessingStream}.
 *
 * <p>Bodies: no Mixer attribute reads a body ({@code request.size}/{@code response.size} come from
 * {@code content-length}), so Offpath never asks for one and never sends a {@code mode_override};
 * configure the filter headers-only (Envoy's defaults: request and response headers SEND, bodies and
 * trailers NONE/SKIP). Bodies and trailers Envoy sends anyway are answered "continue, unchanged".
 *
 * <p>Observability mode ({@code observability_mode: true} in the filter): Envoy expects no answers,
 * so none is sent and the policy is not evaluated (it could not be enforced, and quota would be spent
 * for nothing); the response phase still reports, then the stream is closed.
 *
 * <p>Non-blocking: the decider and the sink never block, so streams run on the transport's threads
 * (the server uses a direct executor). Thread-safe; each stream is confined to its gRPC call.
 */
public final class ExternalProcessorService extends ExternalProcessorGrpc.ExternalProcessorImplBase {

  final Decider decider;
  final RequestLimits limits;
  final ReportSink sink;
  final Ticker ticker;
  final InstantSource clock;
  final ExtProcStats stats = new ExtProcStats();
  private final AtomicLong streamIds = new AtomicLong();

  /**
   * @param sink where each finished request's attributes go; {@link ReportSink#DISCARD} for none
   * @param ticker measures {@code response.duration}
   * @param clock stamps {@code request.time} (when Envoy does not send it) and {@code response.time}
   */
  public ExternalProcessorService(
      Decider decider, RequestLimits limits, ReportSink sink, Ticker ticker, InstantSource clock) {
    this.decider = requireNonNull(decider, "decider");
    this.limits = requireNonNull(limits, "limits");
    this.sink = requireNonNull(sink, "sink");
    this.ticker = requireNonNull(ticker, "ticker");
    this.clock = requireNonNull(clock, "clock");
  }

  public ExtProcStats stats() {
    return stats;
  }

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> responses) {
    return new ProcessingStream(this, responses, streamIds.incrementAndGet());
  }
}
