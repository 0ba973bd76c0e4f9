package dev.offpath.server.remote;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.offpath.core.remote.RemoteTemplate;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * An out-of-process metric adapter for the report-path tests: a real gRPC server on loopback
 * serving the {@code metric} template's {@code HandleMetric} on raw bytes, decoding every request
 * with the template's own descriptor ({@link DynamicMessage}), as an adapter generated from it
 * would. It counts calls and instances, tallies each instance by (name, {@code response_code}
 * dimension) and sums the {@code value}s, and keeps the first {@value #SAMPLES} instances. While
 * {@link #slow} is set it answers after {@code delayMillis} (from a scheduler: no gRPC thread
 * waits), so a caller with a shorter deadline times out.
 */
final class ReportMetricAdapter implements AutoCloseable {

  static final int SAMPLES = 16;

  final LongAdder calls = new LongAdder();
  final LongAdder instances = new LongAdder();
  /** {@code "<instance name> <response_code>"} → instances. */
  final Map<String, LongAdder> byNameAndCode = new ConcurrentHashMap<>();
  /** Instance name → sum of the int64 {@code value}s. */
  final Map<String, LongAdder> valueSums = new ConcurrentHashMap<>();
  final List<Message> samples = new CopyOnWriteArrayList<>();
  final List<DynamicMessage> requestSamples = new CopyOnWriteArrayList<>();
  final AtomicLong largestCall = new AtomicLong();
  volatile long delayMillis;
  volatile boolean slow;

  private final Server server;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  ReportMetricAdapter(RemoteTemplate template) throws IOException {
    Descriptor requestType = template.request();
    FieldDescriptor instancesField = field(requestType, "instances");
    String method = template.fullMethodName();
    MethodDescriptor<byte[], byte[]> descriptor =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(method)
            .setRequestMarshaller(RawBytes.INSTANCE)
            .setResponseMarshaller(RawBytes.INSTANCE)
            .build();
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(method.substring(0, method.indexOf('/')))
            .addMethod(
                descriptor,
                ServerCalls.asyncUnaryCall(
                    (bytes, observer) -> {
                      DynamicMessage request;
                      try {
                        request = DynamicMessage.parseFrom(requestType, bytes);
                      } catch (IOException e) {
                        observer.onError(
                            Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException());
                        return;
                      }
                      int n = request.getRepeatedFieldCount(instancesField);
                      calls.increment();
                      instances.add(n);
                      largestCall.accumulateAndGet(n, Math::max);
                      if (requestSamples.size() < SAMPLES) {
                        requestSamples.add(request);
                      }
                      for (int i = 0; i < n; i++) {
                        tally((Message) request.getRepeatedField(instancesField, i));
                      }
                      // ReportResult is empty: its encoding is zero bytes.
                      if (slow) {
                        scheduler.schedule(
                            () -> {
                              observer.onNext(new byte[0]);
                              observer.onCompleted();
                            },
                            delayMillis,
                            TimeUnit.MILLISECONDS);
                      } else {
                        observer.onNext(new byte[0]);
                        observer.onCompleted();
                      }
                    }))
            .build();
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(service)
            .build()
            .start();
  }

  int port() {
    return server.getPort();
  }

  private void tally(Message instance) {
    if (samples.size() < SAMPLES) {
      samples.add(instance);
    }
    String name = (String) instance.getField(field(instance.getDescriptorForType(), "name"));
    Message value = (Message) instance.getField(field(instance.getDescriptorForType(), "value"));
    valueSums.computeIfAbsent(name, k -> new LongAdder()).add(int64(value));
    Object code = dimensions(instance).get("response_code");
    byNameAndCode
        .computeIfAbsent(name + " " + (code == null ? "-" : code), k -> new LongAdder())
        .increment();
  }

  /** The instance's {@code dimensions} map, each {@code Value} read as a Java value. */
  static Map<String, Object> dimensions(Message instance) {
    FieldDescriptor dims = field(instance.getDescriptorForType(), "dimensions");
    Map<String, Object> out = new java.util.TreeMap<>();
    for (int i = 0; i < instance.getRepeatedFieldCount(dims); i++) {
      Message entry = (Message) instance.getRepeatedField(dims, i);
      String key = (String) entry.getField(field(entry.getDescriptorForType(), "key"));
      Message value = (Message) entry.getField(field(entry.getDescriptorForType(), "value"));
      out.put(key, javaValue(value));
    }
    return out;
  }

  /** The one field set in an {@code istio.policy.v1beta1.Value} (its oneof), as a Java value. */
  static Object javaValue(Message value) {
    Map<FieldDescriptor, Object> set = value.getAllFields();
    if (set.size() != 1) {
      throw new AssertionError("Value with " + set.size() + " fields set: " + value);
    }
    Map.Entry<FieldDescriptor, Object> only = set.entrySet().iterator().next();
    return only.getKey().getName() + ":" + only.getValue();
  }

  private static long int64(Message value) {
    FieldDescriptor f = field(value.getDescriptorForType(), "int64_value");
    if (!value.hasField(f)) {
      throw new AssertionError("value is not an int64: " + value);
    }
    return (Long) value.getField(f);
  }

  static FieldDescriptor field(Descriptor type, String name) {
    FieldDescriptor f = type.findFieldByName(name);
    if (f == null) {
      throw new AssertionError(type.getFullName() + " has no field " + name);
    }
    return f;
  }

  long count(String name, String code) {
    LongAdder a = byNameAndCode.get(name + " " + code);
    return a == null ? 0 : a.sum();
  }

  long valueSum(String name) {
    LongAdder a = valueSums.get(name);
    return a == null ? 0 : a.sum();
  }

  @Override
  public void close() {
    server.shutdownNow();
    scheduler.shutdownNow();
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
