package dev.offpath.extauthz;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.offpath.envoy.attributes.LazyCheckRequest;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.io.InputStream;

/**
 * {@code envoy.service.auth.v3.Authorization/Check} with a request marshaller of its own: the
 * request's bytes become a {@link LazyCheckRequest} (validated in one pass as protobuf-java would,
 * a field decoded when a rule first reads it) and go to {@link
 * AuthorizationService#check(LazyCheckRequest, io.grpc.stub.StreamObserver)}; the response is
 * marshalled by protobuf as usual. The method keeps grpc's generated descriptor (name, type, schema
 * for reflection), so a client cannot tell the two paths apart (README "Performance", lazy decode).
 *
 * <p>Bytes protobuf-java would reject are rejected in {@link Marshaller#parse} with exactly the
 * status grpc's protobuf marshaller throws ({@code INTERNAL: Invalid protobuf byte sequence}), so
 * what the server then answers is grpc's own handling of a parse failure, unchanged. The message
 * size is bounded before the marshaller runs (the server's {@code maxInboundMessageSize}).
 *
 * <p>Stateless; the definition may be bound to any number of servers.
 */
public final class LazyCheckService {

  private LazyCheckService() {}

  /** The Check method with the lazy request marshaller, otherwise grpc's generated one. */
  public static final MethodDescriptor<LazyCheckRequest, CheckResponse> CHECK =
      AuthorizationGrpc.getCheckMethod()
          .toBuilder(new Marshaller(), ProtoUtils.marshaller(CheckResponse.getDefaultInstance()))
          .build();

  /** The Authorization service answering Check through {@code service}'s lazy entry point. */
  public static ServerServiceDefinition definition(AuthorizationService service) {
    requireNonNull(service, "service");
    ServiceDescriptor generated = AuthorizationGrpc.getServiceDescriptor();
    ServiceDescriptor descriptor =
        ServiceDescriptor.newBuilder(generated.getName())
            .setSchemaDescriptor(generated.getSchemaDescriptor())
            .addMethod(CHECK)
            .build();
    return ServerServiceDefinition.builder(descriptor)
        .addMethod(CHECK, ServerCalls.<LazyCheckRequest, CheckResponse>asyncUnaryCall(service::check))
        .build();
  }

  /** Bytes ↔ {@link LazyCheckRequest}; the array read from the wire is the request's own. */
  static final class Marshaller implements MethodDescriptor.Marshaller<LazyCheckRequest> {

    @Override
    public InputStream stream(LazyCheckRequest value) {
      return value.newInput();
    }

    @Override
    public LazyCheckRequest parse(InputStream stream) {
      try {
        return LazyCheckRequest.parse(readAll(stream));
      } catch (InvalidProtocolBufferException e) {
        // ProtoLiteUtils' own status for a parse failure, so grpc answers as on the parsed path.
        throw Status.INTERNAL
            .withDescription("Invalid protobuf byte sequence")
            .withCause(e)
            .asRuntimeException();
      } catch (IOException e) {
        throw Status.INTERNAL
            .withDescription("Invalid protobuf byte sequence")
            .withCause(e)
            .asRuntimeException();
      }
    }

    /** The whole message: one exact-size array when the stream knows its length (grpc's do). */
    static byte[] readAll(InputStream stream) throws IOException {
      if (stream instanceof KnownLength) {
        int size = stream.available();
        byte[] bytes = new byte[size];
        int n = stream.readNBytes(bytes, 0, size);
        int next = n == size ? stream.read() : -1;
        if (next == -1) {
          return n == size ? bytes : java.util.Arrays.copyOf(bytes, n);
        }
        // available() was not the whole message: keep what was read, then the rest.
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(size * 2 + 16);
        out.write(bytes);
        out.write(next);
        stream.transferTo(out);
        return out.toByteArray();
      }
      return stream.readAllBytes();
    }
  }
}
