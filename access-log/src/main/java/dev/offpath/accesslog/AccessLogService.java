package dev.offpath.accesslog;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.telemetry.DropReason;
import dev.offpath.core.telemetry.ReportPipeline;
import dev.offpath.core.time.Ticker;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs}: each entry becomes an
 * attribute bag ({@link EntryMapping}, with the stream's {@link StreamReporter}) and each message's
 * bags go to the {@link ReportPipeline} together.
 *
 * <p><b>Flow control.</b> Automatic inbound flow control is off: a stream asks for one message at a
 * time, and only while the pipeline {@linkplain ReportPipeline#hasCapacity has room}; otherwise it
 * registers a {@linkplain ReportPipeline#whenCapacity capacity callback} and stops reading, so HTTP/2
 * flow control pushes back to Envoy, which buffers (and, past its own buffer, drops — on its side,
 * where its stats count it). Nothing received is ever dropped here while running; an entry that
 * cannot be mapped is counted as {@link DropReason#MALFORMED}.
 *
 * <p><b>TCP byte counts.</b> Envoy's periodic (intermediate) TCP entries carry the connection's
 * counts so far; per stream, the counts last seen for each connection ({@code stream_id}) are kept
 * until its final entry, so {@code connection.sent.bytes} is the delta since the previous entry, as
 * Mixer defined it, and the byte counters add up to the connection's total. Bounded per stream
 * ({@link TcpByteCounts}): connections whose final entry never came age out, and at the cap the
 * least recently seen one makes room.
 *
 * <p><b>Shutdown.</b> {@link #drain} refuses new streams and completes every open stream (status
 * OK) once the message it is handling, if any, is handed over; Envoy reconnects elsewhere.
 *
 * <p>Threads: messages arrive on the transport's threads, capacity callbacks on pipeline workers;
 * each stream serialises its own state and its calls to the gRPC call under a lock of its own, and
 * never calls into the pipeline's callback machinery while holding it. Requires a transport whose
 * {@code request(n)} does not deliver messages inline (Netty).
 */
public final class AccessLogService extends AccessLogServiceGrpc.AccessLogServiceImplBase {

  private static final Logger log = LoggerFactory.getLogger(AccessLogService.class);

  /** Connections whose intermediate byte counts one stream remembers, at most. */
  static final int MAX_TRACKED_CONNECTIONS = 100_000;

  /** A connection without an entry for this long is forgotten (its final entry never came). */
  static final Duration CONNECTION_IDLE = Duration.ofMinutes(10);

  private final ReportPipeline pipeline;
  private final Set<Stream> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong streamIds = new AtomicLong();
  private final LongAdder messages = new LongAdder();
  private final LongAdder malformed = new LongAdder();
  private final LongAdder connectionsEvicted = new LongAdder();
  private final LongAdder connectionsAgedOut = new LongAdder();
  private final Ticker ticker;
  private final int maxTrackedConnections;
  private volatile boolean draining;

  public AccessLogService(ReportPipeline pipeline) {
    this(pipeline, Ticker.system(), MAX_TRACKED_CONNECTIONS);
  }

  AccessLogService(ReportPipeline pipeline, Ticker ticker, int maxTrackedConnections) {
    this.pipeline = requireNonNull(pipeline, "pipeline");
    this.ticker = requireNonNull(ticker, "ticker");
    this.maxTrackedConnections = maxTrackedConnections;
  }

  /** TCP connections forgotten to make room for new ones (see {@link TcpByteCounts}). */
  public long tcpConnectionsEvicted() {
    return connectionsEvicted.sum();
  }

  /** TCP connections forgotten after {@link #CONNECTION_IDLE} without an entry. */
  public long tcpConnectionsAgedOut() {
    return connectionsAgedOut.sum();
  }

  @Override
  public StreamObserver<StreamAccessLogsMessage> streamAccessLogs(
      StreamObserver<StreamAccessLogsResponse> responseObserver) {
    ServerCallStreamObserver<StreamAccessLogsResponse> call =
        (ServerCallStreamObserver<StreamAccessLogsResponse>) responseObserver;
    call.disableAutoRequest();
    Stream stream = new Stream(streamIds.incrementAndGet(), call);
    if (draining) {
      call.onError(
          Status.UNAVAILABLE.withDescription("offpath is shutting down").asRuntimeException());
      return stream;
    }
    open.add(stream);
    call.setOnCancelHandler(stream::cancelled);
    if (draining) {
      stream.finish();
    } else {
      call.request(1);
    }
    return stream;
  }

  /** Refuses new streams and completes the open ones after their current message. */
  public void drain() {
    draining = true;
    for (Stream s : open) {
      s.finish();
    }
  }

  /** Streams open now. */
  public int openStreams() {
    return open.size();
  }

  /** Streams accepted since start. */
  public long streams() {
    return streamIds.get();
  }

  /** Messages received. */
  public long messages() {
    return messages.sum();
  }

  /** Entries that could not be mapped (also counted by the pipeline as dropped). */
  public long malformed() {
    return malformed.sum();
  }

  /** One access-log stream. */
  private final class Stream implements StreamObserver<StreamAccessLogsMessage> {
    private final long id;
    private final ServerCallStreamObserver<StreamAccessLogsResponse> call;
    private final TcpByteCounts connections =
        new TcpByteCounts(
            maxTrackedConnections, CONNECTION_IDLE.toNanos(), ticker, connectionsEvicted, connectionsAgedOut);
    private @Nullable StreamReporter reporter;
    private boolean closed;

    Stream(long id, ServerCallStreamObserver<StreamAccessLogsResponse> call) {
      this.id = id;
      this.call = call;
    }

    @Override
    public void onNext(StreamAccessLogsMessage message) {
      messages.increment();
      synchronized (this) {
        if (closed) {
          return;
        }
        if (message.hasIdentifier()) {
          reporter = StreamReporter.of(message.getIdentifier());
        }
        StreamReporter r = reporter == null ? StreamReporter.ANONYMOUS : reporter;
        List<Attributes> bags = new ArrayList<>();
        int bad = 0;
        for (HTTPAccessLogEntry e : message.getHttpLogs().getLogEntryList()) {
          try {
            bags.add(EntryMapping.http(r, e));
          } catch (MalformedEntryException ex) {
            bad++;
            debugMalformed(ex);
          }
        }
        for (TCPAccessLogEntry e : message.getTcpLogs().getLogEntryList()) {
          try {
            bags.add(tcp(r, e));
          } catch (MalformedEntryException ex) {
            bad++;
            debugMalformed(ex);
          }
        }
        if (bad > 0) {
          malformed.add(bad);
          pipeline.recordDropped(DropReason.MALFORMED, bad);
        }
        pipeline.submit(bags);
        if (draining) {
          finish();
          return;
        }
      }
      if (pipeline.hasCapacity()) {
        resume();
      } else {
        pipeline.whenCapacity(this::resume);
      }
    }

    @SuppressWarnings("deprecation") // intermediate_log_entry: what Envoy sends besides access_log_type
    private EntryAttributes tcp(StreamReporter r, TCPAccessLogEntry e)
        throws MalformedEntryException {
      String conn = e.getCommonProperties().getStreamId();
      long sent = e.getConnectionProperties().getSentBytes();
      long received = e.getConnectionProperties().getReceivedBytes();
      if (conn.isEmpty()) {
        return EntryMapping.tcp(r, e, sent, received);
      }
      boolean last = !e.getCommonProperties().getIntermediateLogEntry();
      long[] delta = connections.delta(conn, sent, received, last);
      return EntryMapping.tcp(r, e, delta[0], delta[1]);
    }

    private void debugMalformed(MalformedEntryException e) {
      if (log.isDebugEnabled()) {
        log.debug("access-log stream {}: malformed entry skipped: {}", id, e.getMessage());
      }
    }

    /** Asks for the next message (a capacity callback, or right after a message). */
    void resume() {
      synchronized (this) {
        if (closed) {
          return;
        }
        if (draining) {
          finish();
          return;
        }
        call.request(1);
      }
    }

    /** Completes the stream (drain). */
    synchronized void finish() {
      if (closed) {
        return;
      }
      closed = true;
      open.remove(this);
      try {
        // A client-streaming call ends with exactly one (empty) response.
        call.onNext(StreamAccessLogsResponse.getDefaultInstance());
        call.onCompleted();
      } catch (IllegalStateException | StatusRuntimeException e) {
        // The call ended meanwhile (cancelled); nothing to complete.
      }
    }

    void cancelled() {
      synchronized (this) {
        closed = true;
      }
      open.remove(this);
      if (log.isDebugEnabled()) {
        log.debug("access-log stream {} cancelled by the client", id);
      }
    }

    @Override
    public void onError(Throwable t) {
      synchronized (this) {
        closed = true;
      }
      open.remove(this);
      if (log.isDebugEnabled()) {
        log.debug("access-log stream {} ended: {}", id, Status.fromThrowable(t));
      }
    }

    @Override
    public void onCompleted() {
      finish();
    }
  }
}
