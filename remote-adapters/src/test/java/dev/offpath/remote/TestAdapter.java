package dev.offpath.remote;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.offpath.core.remote.RemoteTemplate;
import io.grpc.Server;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A real gRPC adapter server on loopback for tests: serves one template's {@code Handle<T>} on raw
 * bytes, decodes every request with {@link DynamicMessage} from the template's own descriptor (as
 * an adapter generated from it would), records it, and answers with {@code answer}'s bytes (or its
 * {@link StatusRuntimeException}). Can be stopped and started again on the same port.
 */
final class TestAdapter implements AutoCloseable {

  final RemoteTemplate template;
  final List<DynamicMessage> requests = new CopyOnWriteArrayList<>();
  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();
  volatile Function<DynamicMessage, byte[]> answer;
  volatile long delayMillis;
  private final UnaryOperator<NettyServerBuilder> customize;
  private final List<ServerInterceptor> interceptors;
  private volatile int port;
  private volatile Server server;

  TestAdapter(RemoteTemplate template, Function<DynamicMessage, byte[]> answer) throws IOException {
    this(template, answer, b -> b, List.of());
  }

  TestAdapter(
      RemoteTemplate template,
      Function<DynamicMessage, byte[]> answer,
      UnaryOperator<NettyServerBuilder> customize,
      List<ServerInterceptor> interceptors)
      throws IOException {
    this.template = template;
    this.answer = answer;
    this.customize = customize;
    this.interceptors = interceptors;
    this.server = start(0);
    this.port = server.getPort();
  }

  private Server start(int p) throws IOException {
    Descriptor request = template.request();
    ServerCallHandler<byte[], byte[]> handler =
        ServerCalls.asyncUnaryCall(
            (bytes, observer) -> {
              int now = inFlight.incrementAndGet();
              maxInFlight.accumulateAndGet(now, Math::max);
              calls.incrementAndGet();
              // The call leaves inFlight before it is answered: once the caller has its answer it
              // may send the next call, which must not find this one still counted.
              Runnable reply;
              try {
                DynamicMessage m = DynamicMessage.parseFrom(request, bytes);
                requests.add(m);
                if (delayMillis > 0) {
                  Thread.sleep(delayMillis);
                }
                byte[] out = answer.apply(m);
                reply =
                    () -> {
                      observer.onNext(out);
                      observer.onCompleted();
                    };
              } catch (InvalidProtocolBufferException e) {
                reply =
                    () ->
                        observer.onError(
                            Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException());
              } catch (StatusRuntimeException e) {
                reply = () -> observer.onError(e);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reply = () -> observer.onError(Status.CANCELLED.asException());
              } finally {
                inFlight.decrementAndGet();
              }
              reply.run();
            });
    String method = template.fullMethodName();
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(method.substring(0, method.indexOf('/')))
            .addMethod(BytesMarshaller.method(method), handler)
            .build();
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", p))
            .addService(ServerInterceptors.intercept(service, interceptors));
    return customize.apply(b).build().start();
  }

  int port() {
    return port;
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  void stop() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void restart() throws IOException {
    server = start(port);
  }

  @Override
  public void close() {
    stop();
  }
}
