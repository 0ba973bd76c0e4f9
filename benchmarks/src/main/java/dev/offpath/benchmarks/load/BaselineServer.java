package dev.offpath.benchmarks.load;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The baseline of the load run: a do-nothing ext_authz server on the same gRPC stack as Offpath
 * (grpc-netty-shaded, Netty's default transport, direct executor, the same inbound message limit)
 * that answers every Check with one constant OK response. Whatever Offpath costs beyond it is
 * policy, not gRPC.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar
 * dev.offpath.benchmarks.load.BaselineServer PORT} (the load driver starts it in its own JVM).
 */
public final class BaselineServer implements AutoCloseable {

  static final CheckResponse OK =
      CheckResponse.newBuilder()
          .setStatus(com.google.rpc.Status.newBuilder().setCode(0))
          .setOkResponse(OkHttpResponse.getDefaultInstance())
          .build();

  private final Server server;

  private BaselineServer(Server server) {
    this.server = server;
  }

  /** Serves on 127.0.0.1:{@code port} (0 picks a free port). */
  public static BaselineServer start(int port) throws IOException {
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
            .directExecutor()
            .maxInboundMessageSize(1 << 20)
            .addService(new Authorization())
            .build()
            .start();
    return new BaselineServer(server);
  }

  public int port() {
    return server.getPort();
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

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: BaselineServer PORT");
      System.exit(2);
    }
    BaselineServer baseline = start(Integer.parseInt(args[0]));
    Runtime.getRuntime().addShutdownHook(new Thread(baseline::close, "baseline-shutdown"));
    System.out.println("baseline ext_authz serving on 127.0.0.1:" + baseline.port());
    baseline.server.awaitTermination();
  }

  private static final class Authorization extends AuthorizationGrpc.AuthorizationImplBase {
    @Override
    public void check(CheckRequest request, StreamObserver<CheckResponse> responses) {
      responses.onNext(OK);
      responses.onCompleted();
    }
  }
}
