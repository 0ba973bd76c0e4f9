package dev.offpath.benchmarks.load;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.offpath.core.remote.RemoteTemplate;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The do-little out-of-process adapter of {@link OutOfProcessLoad}: a real gRPC server on loopback
 * in the driver's JVM (its own Netty threads; the handlers run on them and never block) serving
 * Istio's {@code checknothing} and {@code metric} templates on raw bytes, as any adapter generated
 * from their descriptors would be called.
 *
 * <ul>
 *   <li>{@code HandleCheckNothing}: answers OK, valid {@link #VALID_DURATION} for {@link
 *       #VALID_USE_COUNT} uses (so Offpath's check cache keeps the answer), counting calls;
 *   <li>{@code HandleMetric}: counts the request's {@code instances} (field 1) by walking its
 *       top-level tags without decoding them, so the adapter costs little and counts exactly.
 * </ul>
 *
 * <p>Counters are {@link LongAdder}s, read by the driver at any time. Close it after the run.
 */
final class LoadAdapter implements AutoCloseable {

  static final Duration VALID_DURATION = Duration.ofSeconds(10);
  static final int VALID_USE_COUNT = 10_000;
  /** Field 1, length-delimited: one {@code instances} entry. */
  private static final int INSTANCES_TAG = 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  final LongAdder checkCalls = new LongAdder();
  final LongAdder metricCalls = new LongAdder();
  final LongAdder metricInstances = new LongAdder();
  final LongAdder badRequests = new LongAdder();

  private final Server server;
  private final byte[] checkAnswer;

  LoadAdapter(RemoteTemplate checkTemplate, RemoteTemplate metricTemplate) throws IOException {
    this.checkAnswer = checkResult();
    ServerServiceDefinition check =
        service(
            checkTemplate,
            request -> {
              checkCalls.increment();
              return checkAnswer;
            });
    ServerServiceDefinition metric =
        service(
            metricTemplate,
            request -> {
              metricInstances.add(instances(request));
              metricCalls.increment();
              return new byte[0]; // ReportResult is empty
            });
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .maxInboundMessageSize(8 << 20)
            .addService(check)
            .addService(metric)
            .build()
            .start();
  }

  int port() {
    return server.getPort();
  }

  /** The metric instances received so far divided by {@code perEntry}: entries, if exact. */
  EntryCount entries(int perEntry) {
    return () -> metricInstances.sum() / (double) perEntry;
  }

  private interface Answer {
    byte[] apply(byte[] request) throws IOException;
  }

  private ServerServiceDefinition service(RemoteTemplate template, Answer answer) {
    String method = template.fullMethodName();
    MethodDescriptor<byte[], byte[]> descriptor =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(method)
            .setRequestMarshaller(RawBytes.INSTANCE)
            .setResponseMarshaller(RawBytes.INSTANCE)
            .build();
    return ServerServiceDefinition.builder(method.substring(0, method.indexOf('/')))
        .addMethod(
            descriptor,
            ServerCalls.asyncUnaryCall(
                (request, observer) -> {
                  byte[] out;
                  try {
                    out = answer.apply(request);
                  } catch (IOException e) {
                    badRequests.increment();
                    observer.onError(
                        Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException());
                    return;
                  }
                  observer.onNext(out);
                  observer.onCompleted();
                }))
        .build();
  }

  /** The occurrences of field 1 ({@code instances}) at the top level of {@code request}. */
  static int instances(byte[] request) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(request);
    int count = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == INSTANCES_TAG) {
        count++;
      }
      if (!in.skipField(tag)) {
        break;
      }
    }
    return count;
  }

  /** {@code CheckResult {status: OK (absent), valid_duration: 10s, valid_use_count: 10000}}. */
  private static byte[] checkResult() throws IOException {
    ByteArrayOutputStream duration = new ByteArrayOutputStream();
    CodedOutputStream d = CodedOutputStream.newInstance(duration);
    d.writeInt64(1, VALID_DURATION.toSeconds());
    d.flush();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    o.writeByteArray(2, duration.toByteArray());
    o.writeInt32(3, VALID_USE_COUNT);
    o.flush();
    return out.toByteArray();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private enum RawBytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
