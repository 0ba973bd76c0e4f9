package dev.offpath.remote.example;

import com.google.protobuf.Any;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The example out-of-process adapter (README "Writing an adapter"): a list checker for Istio's
 * {@code listentry} template, written against the protocol alone: no generated code. It serves
 * {@code /listentry.HandleListEntryService/HandleListEntry}, reads the request with the template's
 * descriptor (the {@code kind: template}'s {@code spec.descriptor}) and its handler params from the
 * request's {@code adapter_config} (an {@code Any} of {@link #PARAMS}: {@code repeated string
 * overrides = 1; bool blacklist = 2}, the shape of Mixer's own list adapter), and answers a {@code
 * CheckResult}: OK valid {@value #VALID_SECONDS} s when the value's membership agrees with {@code
 * blacklist}, else PERMISSION_DENIED. Its {@code kind: adapter} object is {@link #adapterYaml()}
 * (committed as {@code example/list-adapter.yaml}).
 */
public final class ListAdapter implements AutoCloseable {

  public static final String NAME = "offpath-example-list";
  public static final String PARAMS = "offpath.example.list.Params";
  static final int VALID_SECONDS = 10;
  static final int VALID_USES = 1000;

  private final Descriptor request;
  private final Descriptor answer;
  private final Server server;

  /**
   * Starts the adapter on a free loopback port.
   *
   * @param request the template's {@code HandleListEntryRequest}
   * @param answer the method's output type ({@code CheckResult})
   */
  public ListAdapter(Descriptor request, Descriptor answer) throws IOException {
    this.request = request;
    this.answer = answer;
    MethodDescriptor<byte[], byte[]> method =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("listentry.HandleListEntryService/HandleListEntry")
            .setRequestMarshaller(Bytes.INSTANCE)
            .setResponseMarshaller(Bytes.INSTANCE)
            .build();
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("listentry.HandleListEntryService")
            .addMethod(
                method,
                ServerCalls.asyncUnaryCall(
                    (bytes, observer) -> {
                      try {
                        observer.onNext(handle(bytes));
                        observer.onCompleted();
                      } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
                        observer.onError(
                            Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException());
                      }
                    }))
            .build();
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(service)
            .build()
            .start();
  }

  public int port() {
    return server.getPort();
  }

  private byte[] handle(byte[] bytes) throws InvalidProtocolBufferException {
    DynamicMessage req = DynamicMessage.parseFrom(request, bytes);
    Message instance = (Message) req.getField(request.findFieldByName("instance"));
    Message value = (Message) instance.getField(instance.getDescriptorForType().findFieldByName("value"));
    String entry = "";
    for (var e : value.getAllFields().entrySet()) {
      entry = String.valueOf(e.getValue()); // string_value; other kinds as their text
    }
    Any config = Any.parseFrom(((Message) req.getField(request.findFieldByName("adapter_config"))).toByteString());
    if (!config.getTypeUrl().endsWith("/" + PARAMS)) {
      throw new IllegalArgumentException("adapter_config: expected " + PARAMS + ", got " + config.getTypeUrl());
    }
    Descriptor paramsType = params();
    DynamicMessage params = DynamicMessage.parseFrom(paramsType, config.getValue());
    @SuppressWarnings("unchecked")
    List<String> overrides = (List<String>) params.getField(paramsType.findFieldByName("overrides"));
    boolean blacklist = (Boolean) params.getField(paramsType.findFieldByName("blacklist"));
    boolean allowed = overrides.contains(entry) != blacklist;
    DynamicMessage.Builder out = DynamicMessage.newBuilder(answer);
    FieldDescriptor status = answer.findFieldByName("status");
    if (!allowed) {
      Descriptor st = status.getMessageType();
      out.setField(
          status,
          DynamicMessage.newBuilder(st)
              .setField(st.findFieldByName("code"), Status.Code.PERMISSION_DENIED.value())
              .setField(st.findFieldByName("message"), entry + " is " + (blacklist ? "blacklisted" : "not whitelisted"))
              .build());
    }
    FieldDescriptor valid = answer.findFieldByName("valid_duration");
    Descriptor dt = valid.getMessageType();
    out.setField(valid, DynamicMessage.newBuilder(dt).setField(dt.findFieldByName("seconds"), (long) VALID_SECONDS).build());
    out.setField(answer.findFieldByName("valid_use_count"), VALID_USES);
    return out.build().toByteArray();
  }

  /** The adapter's config descriptor: {@code Params}, built in code (no protoc). */
  public static FileDescriptorSet configDescriptor() {
    FileDescriptorProto file =
        FileDescriptorProto.newBuilder()
            .setName("offpath/example/list/config.proto")
            .setPackage("offpath.example.list")
            .setSyntax("proto3")
            .addMessageType(
                DescriptorProto.newBuilder()
                    .setName("Params")
                    .addField(
                        FieldDescriptorProto.newBuilder()
                            .setName("overrides")
                            .setJsonName("overrides")
                            .setNumber(1)
                            .setLabel(FieldDescriptorProto.Label.LABEL_REPEATED)
                            .setType(FieldDescriptorProto.Type.TYPE_STRING))
                    .addField(
                        FieldDescriptorProto.newBuilder()
                            .setName("blacklist")
                            .setJsonName("blacklist")
                            .setNumber(2)
                            .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL)
                            .setType(FieldDescriptorProto.Type.TYPE_BOOL)))
            .build();
    return FileDescriptorSet.newBuilder().addFile(file).build();
  }

  /** {@code Params} as a descriptor. */
  public static Descriptor params() {
    try {
      return FileDescriptor.buildFrom(configDescriptor().getFile(0), new FileDescriptor[0])
          .findMessageTypeByName("Params");
    } catch (DescriptorValidationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The adapter's {@code kind: adapter} object, as an operator applies it. */
  public static String adapterYaml() {
    return "# The example out-of-process adapter (README \"Writing an adapter\"); generated by\n"
        + "# ListAdapter.adapterYaml(), checked by ExampleListAdapterTest.\n"
        + "apiVersion: config.istio.io/v1alpha2\n"
        + "kind: adapter\n"
        + "metadata:\n"
        + "  name: " + NAME + "\n"
        + "  namespace: istio-system\n"
        + "spec:\n"
        + "  description: a list checker for the listentry template, in Java without generated code\n"
        + "  session_based: false\n"
        + "  templates:\n"
        + "  - listentry\n"
        + "  config: " + Base64.getEncoder().encodeToString(configDescriptor().toByteArray()) + "\n";
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

  private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
    static final Bytes INSTANCE = new Bytes();

    @Override
    public InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
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
