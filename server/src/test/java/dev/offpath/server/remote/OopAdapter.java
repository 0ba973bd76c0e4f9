package dev.offpath.server.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.offpath.core.remote.RemoteTemplate;
import dev.offpath.core.remote.RemoteTemplates;
import dev.offpath.core.testing.MixerReference;
import io.grpc.Attributes;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An out-of-process Mixer adapter for end-to-end tests: a real gRPC server on loopback serving one
 * template's {@code Handle<T>} on raw bytes. It reads every request with {@link DynamicMessage}
 * from the template's own descriptor (Istio's {@code kind: template} object, as an adapter generated
 * from it would), records it, and answers the bytes {@code answer} returns (written by hand with
 * {@link CodedOutputStream}, as any protobuf library would), or the status of the {@link
 * StatusRuntimeException} it throws. It can be stopped and started again on the same port, and
 * counts the connections (transports) it accepted.
 *
 * <p>Threads: gRPC's server threads call {@code answer}; the records are concurrent lists and
 * counters read by the test thread.
 */
final class OopAdapter implements AutoCloseable {

  static final int OK = 0;
  static final int PERMISSION_DENIED = 7;
  static final int RESOURCE_EXHAUSTED = 8;
  static final int UNAVAILABLE = 14;

  private static final Pattern DESCRIPTOR =
      Pattern.compile("(?m)^\\s*descriptor:\\s*\"?([A-Za-z0-9+/=]+)\"?\\s*$");

  final RemoteTemplate template;
  final List<DynamicMessage> requests = new CopyOnWriteArrayList<>();
  final AtomicInteger connections = new AtomicInteger();
  /** What {@code answer} threw other than a status (a bug in the test): print them on failure. */
  final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private volatile Function<DynamicMessage, byte[]> answer;
  private final UnaryOperator<NettyServerBuilder> customize;
  private final int port;
  private volatile Server server;

  OopAdapter(RemoteTemplate template, Function<DynamicMessage, byte[]> answer) throws IOException {
    this(template, answer, b -> b);
  }

  /** With {@code customize} applied to the server builder (TLS). */
  OopAdapter(
      RemoteTemplate template,
      Function<DynamicMessage, byte[]> answer,
      UnaryOperator<NettyServerBuilder> customize)
      throws IOException {
    this.template = template;
    this.answer = answer;
    this.customize = customize;
    this.server = start(0);
    this.port = server.getPort();
  }

  /** Istio's {@code oop/template-<name>.yaml}, parsed from its base64 descriptor. */
  static RemoteTemplate template(String name) throws IOException {
    Matcher m =
        DESCRIPTOR.matcher(Files.readString(MixerReference.file("oop/template-" + name + ".yaml")));
    assertThat(m.find()).isTrue();
    return RemoteTemplates.parse(name, ByteString.copyFrom(Base64.getDecoder().decode(m.group(1))));
  }

  private Server start(int p) throws IOException {
    Descriptor requestType = template.request();
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
                      try {
                        DynamicMessage request = DynamicMessage.parseFrom(requestType, bytes);
                        requests.add(request);
                        observer.onNext(answer.apply(request));
                        observer.onCompleted();
                      } catch (InvalidProtocolBufferException e) {
                        observer.onError(
                            Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException());
                      } catch (StatusRuntimeException e) {
                        observer.onError(e);
                      } catch (RuntimeException | AssertionError e) {
                        // A bug in the test's answer: recorded for the test to fail on.
                        failures.add(e);
                        observer.onError(Status.INTERNAL.withDescription(e.toString()).asException());
                      }
                    }))
            .build();
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", p))
            .addService(service)
            .addTransportFilter(
                new ServerTransportFilter() {
                  @Override
                  public Attributes transportReady(Attributes attributes) {
                    connections.incrementAndGet();
                    return attributes;
                  }
                });
    return customize.apply(b).build().start();
  }

  void answer(Function<DynamicMessage, byte[]> next) {
    this.answer = next;
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  int calls() {
    return requests.size();
  }

  /** Stops serving and closes every connection (the adapter process killed). */
  void stop() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Serves again on the same port. */
  void restart() throws IOException {
    server = start(port);
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

  // ---- reading requests -------------------------------------------------------------------

  static FieldDescriptor field(Message m, String name) {
    FieldDescriptor f = m.getDescriptorForType().findFieldByName(name);
    assertThat(f).as(name).isNotNull();
    return f;
  }

  /** Field {@code name} of {@code m}, a message. */
  static Message message(Message m, String name) {
    return (Message) m.getField(field(m, name));
  }

  /** The request's {@code instance} (check and quota templates). */
  static Message instance(DynamicMessage request) {
    return message(request, "instance");
  }

  /** The instance's full name ({@code InstanceMsg.name}, field 72295727). */
  static String name(Message instance) {
    return (String) instance.getField(field(instance, "name"));
  }

  /** An {@code istio.policy.v1beta1.Value} holding a string. */
  static String stringValue(Message value) {
    return (String) value.getField(field(value, "string_value"));
  }

  // ---- writing answers --------------------------------------------------------------------

  /**
   * {@code CheckResult {google.rpc.Status status = 1; Duration valid_duration = 2; int32
   * valid_use_count = 3}}; zero values are not written (all zero: the empty message).
   */
  static byte[] checkResult(int code, String message, long validSeconds, int uses) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      CodedOutputStream o = CodedOutputStream.newInstance(out);
      byte[] status = status(code, message);
      if (status.length > 0) {
        o.writeByteArray(1, status);
      }
      if (validSeconds != 0) {
        o.writeByteArray(2, duration(validSeconds));
      }
      if (uses != 0) {
        o.writeInt32(3, uses);
      }
      o.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * {@code QuotaResult {map<string, Result> quotas = 1}} with one entry for {@code instanceName}:
   * {@code Result {Duration valid_duration = 2; int64 granted_amount = 3; google.rpc.Status status
   * = 4}}.
   */
  static byte[] quotaResult(
      String instanceName, long granted, long validSeconds, int code, String message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ByteArrayOutputStream result = new ByteArrayOutputStream();
      CodedOutputStream r = CodedOutputStream.newInstance(result);
      if (validSeconds != 0) {
        r.writeByteArray(2, duration(validSeconds));
      }
      if (granted != 0) {
        r.writeInt64(3, granted);
      }
      byte[] status = status(code, message);
      if (status.length > 0) {
        r.writeByteArray(4, status);
      }
      r.flush();
      ByteArrayOutputStream entry = new ByteArrayOutputStream();
      CodedOutputStream e = CodedOutputStream.newInstance(entry);
      e.writeString(1, instanceName);
      e.writeByteArray(2, result.toByteArray());
      e.flush();
      CodedOutputStream o = CodedOutputStream.newInstance(out);
      o.writeByteArray(1, entry.toByteArray());
      o.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static byte[] status(int code, String message) throws IOException {
    ByteArrayOutputStream status = new ByteArrayOutputStream();
    CodedOutputStream s = CodedOutputStream.newInstance(status);
    if (code != 0) {
      s.writeInt32(1, code);
    }
    if (!message.isEmpty()) {
      s.writeString(2, message);
    }
    s.flush();
    return status.toByteArray();
  }

  private static byte[] duration(long seconds) throws IOException {
    ByteArrayOutputStream duration = new ByteArrayOutputStream();
    CodedOutputStream d = CodedOutputStream.newInstance(duration);
    d.writeInt64(1, seconds);
    d.flush();
    return duration.toByteArray();
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
