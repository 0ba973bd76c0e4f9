package dev.offpath.server.metrics;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.time.Ticker;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * Server-side gRPC metrics with go-grpc-prometheus's names and labels, so dashboards and runbooks
 * written for Mixer (and any Go gRPC server) work unchanged:
 *
 * <ul>
 *   <li>{@code grpc_server_started_total}, {@code grpc_server_msg_received_total}, {@code
 *       grpc_server_msg_sent_total} and {@code grpc_server_handling_seconds} labelled {@code
 *       grpc_type, grpc_service, grpc_method};
 *   <li>{@code grpc_server_handled_total} with {@code grpc_code} in addition ({@code OK}, {@code
 *       PERMISSION_DENIED}, …).
 * </ul>
 *
 * <p>A call counts as handled once: when the server closes it, when the application throws (with the
 * code gRPC derives from the throwable, {@code UNKNOWN} unless it carries a status), or as {@code
 * CANCELLED} when the client cancels it first; a per-call flag settles races between these.
 *
 * <p>Hot path: the label-bound data points of a method are looked up once and cached per method
 * ({@link MethodMetrics}), and per status code inside it, so a call costs an identity check on its
 * method descriptor (a map lookup on the full method name when the previous call was to another
 * method), the two forwarding wrappers gRPC requires, and the counter/histogram updates themselves.
 * Thread-safe.
 *
 * <p>Handling-time buckets are Prometheus's default buckets extended down to 100 µs, a superset, so
 * queries written against go-grpc-prometheus still work.
 */
public final class GrpcServerMetrics implements ServerInterceptor {

  static final double[] HANDLING_BUCKETS = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private static final Status.Code[] CODES = Status.Code.values();

  private final Ticker ticker;
  private final Counter started;
  private final Counter handled;
  private final Histogram handlingSeconds;
  private final Counter msgReceived;
  private final Counter msgSent;
  private final ConcurrentHashMap<String, MethodMetrics> methods = new ConcurrentHashMap<>();

  /**
   * The metrics of the method called last, matched by descriptor identity: a server mostly serves
   * one method (Check), whose calls then skip the map. Racy by design; any value is correct.
   */
  private volatile @Nullable MethodMetrics last;

  public GrpcServerMetrics(PrometheusRegistry registry) {
    this(registry, Ticker.system());
  }

  public GrpcServerMetrics(PrometheusRegistry registry, Ticker ticker) {
    requireNonNull(registry, "registry");
    this.ticker = requireNonNull(ticker, "ticker");
    started =
        Counter.builder()
            .name("grpc_server_started_total")
            .help("Total number of RPCs started on the server.")
            .labelNames("grpc_type", "grpc_service", "grpc_method")
            .withoutExemplars()
            .register(registry);
    handled =
        Counter.builder()
            .name("grpc_server_handled_total")
            .help("Total number of RPCs completed on the server, regardless of success or failure.")
            .labelNames("grpc_type", "grpc_service", "grpc_method", "grpc_code")
            .withoutExemplars()
            .register(registry);
    handlingSeconds =
        Histogram.builder()
            .name("grpc_server_handling_seconds")
            .help("Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.")
            .labelNames("grpc_type", "grpc_service", "grpc_method")
            .classicOnly()
            .classicUpperBounds(HANDLING_BUCKETS)
            .withoutExemplars()
            .register(registry);
    msgReceived =
        Counter.builder()
            .name("grpc_server_msg_received_total")
            .help("Total number of RPC stream messages received on the server.")
            .labelNames("grpc_type", "grpc_service", "grpc_method")
            .withoutExemplars()
            .register(registry);
    msgSent =
        Counter.builder()
            .name("grpc_server_msg_sent_total")
            .help("Total number of gRPC stream messages sent by the server.")
            .labelNames("grpc_type", "grpc_service", "grpc_method")
            .withoutExemplars()
            .register(registry);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    MethodMetrics m = methodMetrics(call.getMethodDescriptor());
    m.started.inc();
    MonitoringCall<ReqT, RespT> monitored = new MonitoringCall<>(call, m, ticker.nanoTime());
    ServerCall.Listener<ReqT> listener;
    try {
      listener = next.startCall(monitored, headers);
    } catch (RuntimeException | Error e) {
      monitored.failed(e);
      throw e;
    }
    return new MonitoringListener<>(listener, monitored);
  }

  private MethodMetrics methodMetrics(MethodDescriptor<?, ?> method) {
    MethodMetrics m = last;
    if (m != null && m.descriptor == method) {
      return m;
    }
    String fullName = method.getFullMethodName();
    m = methods.get(fullName);
    if (m == null) {
      m = methods.computeIfAbsent(fullName, k -> new MethodMetrics(method));
    }
    last = m.descriptor == method ? m : new MethodMetrics(m, method);
    return last;
  }

  static String typeLabel(MethodDescriptor.MethodType type) {
    return switch (type) {
      case UNARY -> "UNARY";
      case CLIENT_STREAMING -> "CLIENT_STREAM";
      case SERVER_STREAMING -> "SERVER_STREAM";
      case BIDI_STREAMING -> "BIDI_STREAM";
      case UNKNOWN -> "UNKNOWN";
    };
  }

  /** The data points of one method, bound to its labels; handled counters per code on first use. */
  private final class MethodMetrics {
    final MethodDescriptor<?, ?> descriptor;
    final String type;
    final String service;
    final String method;
    final CounterDataPoint started;
    final DistributionDataPoint handlingSeconds;
    final CounterDataPoint msgReceived;
    final CounterDataPoint msgSent;
    final AtomicReferenceArray<CounterDataPoint> handledByCode;

    MethodMetrics(MethodDescriptor<?, ?> descriptor) {
      this.descriptor = descriptor;
      type = typeLabel(descriptor.getType());
      String serviceName = descriptor.getServiceName();
      service = serviceName != null ? serviceName : "";
      String bare = descriptor.getBareMethodName();
      method = bare != null ? bare : descriptor.getFullMethodName();
      started = GrpcServerMetrics.this.started.labelValues(type, service, method);
      handlingSeconds = GrpcServerMetrics.this.handlingSeconds.labelValues(type, service, method);
      msgReceived = GrpcServerMetrics.this.msgReceived.labelValues(type, service, method);
      msgSent = GrpcServerMetrics.this.msgSent.labelValues(type, service, method);
      handledByCode = new AtomicReferenceArray<>(CODES.length);
    }

    /** The same data points as {@code shared}, matched by another descriptor of its method. */
    MethodMetrics(MethodMetrics shared, MethodDescriptor<?, ?> descriptor) {
      this.descriptor = descriptor;
      type = shared.type;
      service = shared.service;
      method = shared.method;
      started = shared.started;
      handlingSeconds = shared.handlingSeconds;
      msgReceived = shared.msgReceived;
      msgSent = shared.msgSent;
      handledByCode = shared.handledByCode;
    }

    CounterDataPoint handled(Status.Code code) {
      int i = code.ordinal();
      CounterDataPoint point = handledByCode.get(i);
      if (point == null) {
        // Racing threads get the same data point from the counter; either store is fine.
        point = handled.labelValues(type, service, method, code.name());
        handledByCode.set(i, point);
      }
      return point;
    }
  }

  private final class MonitoringCall<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT> {
    private static final VarHandle DONE;

    static {
      try {
        DONE = MethodHandles.lookup().findVarHandle(MonitoringCall.class, "done", boolean.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final MethodMetrics metrics;
    private final long startNanos;

    @SuppressWarnings("unused") // accessed through DONE
    private volatile boolean done;

    MonitoringCall(ServerCall<ReqT, RespT> delegate, MethodMetrics metrics, long startNanos) {
      super(delegate);
      this.metrics = metrics;
      this.startNanos = startNanos;
    }

    @Override
    public void sendMessage(RespT message) {
      metrics.msgSent.inc();
      super.sendMessage(message);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      finish(status.getCode());
      super.close(status, trailers);
    }

    /**
     * The application threw: gRPC then closes the stream itself, bypassing {@link #close}, and the
     * client sees the status of the throwable.
     */
    void failed(Throwable t) {
      finish(Status.fromThrowable(t).getCode());
    }

    void messageReceived() {
      metrics.msgReceived.inc();
    }

    void finish(Status.Code code) {
      if (DONE.compareAndSet(this, false, true)) {
        metrics.handled(code).inc();
        metrics.handlingSeconds.observe((ticker.nanoTime() - startNanos) / 1e9);
      }
    }
  }

  private static final class MonitoringListener<ReqT>
      extends SimpleForwardingServerCallListener<ReqT> {
    private final MonitoringCall<ReqT, ?> call;

    MonitoringListener(ServerCall.Listener<ReqT> delegate, MonitoringCall<ReqT, ?> call) {
      super(delegate);
      this.call = call;
    }

    @Override
    public void onMessage(ReqT message) {
      call.messageReceived();
      try {
        super.onMessage(message);
      } catch (RuntimeException | Error e) {
        call.failed(e);
        throw e;
      }
    }

    @Override
    public void onHalfClose() {
      try {
        super.onHalfClose();
      } catch (RuntimeException | Error e) {
        call.failed(e);
        throw e;
      }
    }

    @Override
    public void onCancel() {
      call.finish(Status.Code.CANCELLED);
      super.onCancel();
    }
  }
}
