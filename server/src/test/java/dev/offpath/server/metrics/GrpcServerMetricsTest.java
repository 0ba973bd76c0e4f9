package dev.offpath.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.core.time.FakeTicker;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GrpcServerMetricsTest {

  private static final String HEALTH = "grpc.health.v1.Health";

  private static final MethodDescriptor.Marshaller<String> UTF8 =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private static final MethodDescriptor<String, String> FAIL =
      MethodDescriptor.newBuilder(UTF8, UTF8)
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("test.Failing/Fail")
          .build();

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final FakeTicker ticker = new FakeTicker();
  private final HealthStatusManager health = new HealthStatusManager();
  private CountDownLatch finished = new CountDownLatch(1);
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    health.setStatus("offpath", ServingStatus.SERVING);
    // Sits inside the metrics interceptor: takes 3 ms of fake time per call and signals when the
    // call has ended, which is after the metrics interceptor has recorded it.
    ServerInterceptor probe =
        new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
              ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
            ticker.advance(Duration.ofMillis(3));
            return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
              @Override
              public void onCancel() {
                super.onCancel();
                finished.countDown();
              }

              @Override
              public void onComplete() {
                super.onComplete();
                finished.countDown();
              }
            };
          }
        };
    GrpcServerMetrics metrics = new GrpcServerMetrics(registry, ticker);
    ServerServiceDefinition failing =
        ServerServiceDefinition.builder("test.Failing")
            .addMethod(
                FAIL,
                ServerCalls.asyncUnaryCall(
                    (request, responseObserver) -> {
                      throw new IllegalStateException("handler bug");
                    }))
            .build();
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(ServerInterceptors.intercept(health.getHealthService(), probe, metrics))
            .addService(ServerInterceptors.intercept(failing, probe, metrics))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow();
    assertThat(channel.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(server.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void unaryOk() throws InterruptedException {
    HealthCheckResponse response =
        HealthGrpc.newBlockingStub(channel)
            .check(HealthCheckRequest.newBuilder().setService("offpath").build());
    assertThat(response.getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();

    String labels = "grpc_method=\"Check\",grpc_service=\"" + HEALTH + "\",grpc_type=\"UNARY\"";
    assertThat(Scrape.text(registry))
        .contains("grpc_server_started_total{" + labels + "} 1.0\n")
        .contains("grpc_server_handled_total{grpc_code=\"OK\"," + labels + "} 1.0\n")
        .contains("grpc_server_msg_received_total{" + labels + "} 1.0\n")
        .contains("grpc_server_msg_sent_total{" + labels + "} 1.0\n")
        .contains("grpc_server_handling_seconds_bucket{" + labels + ",le=\"0.0025\"} 0\n")
        .contains("grpc_server_handling_seconds_bucket{" + labels + ",le=\"0.005\"} 1\n")
        .contains("grpc_server_handling_seconds_count{" + labels + "} 1\n")
        .contains("grpc_server_handling_seconds_sum{" + labels + "} 0.003\n")
        .doesNotContain("grpc_code=\"NOT_FOUND\"");
  }

  @Test
  void unaryErrorCountsItsCode() throws InterruptedException {
    HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(channel);
    stub.check(HealthCheckRequest.newBuilder().setService("offpath").build());
    finished.await(10, TimeUnit.SECONDS);
    finished = new CountDownLatch(1);
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> stub.check(HealthCheckRequest.newBuilder().setService("nope").build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }
    assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();

    String labels = "grpc_method=\"Check\",grpc_service=\"" + HEALTH + "\",grpc_type=\"UNARY\"";
    assertThat(Scrape.text(registry))
        .contains("grpc_server_started_total{" + labels + "} 3.0\n")
        .contains("grpc_server_handled_total{grpc_code=\"OK\"," + labels + "} 1.0\n")
        .contains("grpc_server_handled_total{grpc_code=\"NOT_FOUND\"," + labels + "} 2.0\n")
        .contains("grpc_server_msg_received_total{" + labels + "} 3.0\n")
        .contains("grpc_server_msg_sent_total{" + labels + "} 1.0\n")
        .contains("grpc_server_handling_seconds_count{" + labels + "} 3\n");
  }

  @Test
  void applicationExceptionCountsAsUnknownOnce() throws InterruptedException {
    assertThatThrownBy(
            () -> ClientCalls.blockingUnaryCall(channel, FAIL, CallOptions.DEFAULT, "request"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN));
    assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();

    String labels = "grpc_method=\"Fail\",grpc_service=\"test.Failing\",grpc_type=\"UNARY\"";
    assertThat(Scrape.text(registry))
        .contains("grpc_server_started_total{" + labels + "} 1.0\n")
        .contains("grpc_server_handled_total{grpc_code=\"UNKNOWN\"," + labels + "} 1.0\n")
        .doesNotContain("grpc_code=\"CANCELLED\"")
        .contains("grpc_server_handling_seconds_count{" + labels + "} 1\n");
  }

  @Test
  void serverStreamCancelledByClient() throws Exception {
    Context.CancellableContext context = Context.current().withCancellation();
    ServingStatus first =
        context.call(
            () -> {
              Iterator<HealthCheckResponse> watch =
                  HealthGrpc.newBlockingStub(channel)
                      .watch(HealthCheckRequest.newBuilder().setService("offpath").build());
              return watch.next().getStatus();
            });
    assertThat(first).isEqualTo(ServingStatus.SERVING);
    assertThat(finished.getCount()).isEqualTo(1);
    context.cancel(null);
    assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();

    String labels =
        "grpc_method=\"Watch\",grpc_service=\"" + HEALTH + "\",grpc_type=\"SERVER_STREAM\"";
    assertThat(Scrape.text(registry))
        .contains("grpc_server_started_total{" + labels + "} 1.0\n")
        .contains("grpc_server_handled_total{grpc_code=\"CANCELLED\"," + labels + "} 1.0\n")
        .contains("grpc_server_msg_received_total{" + labels + "} 1.0\n")
        .contains("grpc_server_msg_sent_total{" + labels + "} 1.0\n")
        .contains("grpc_server_handling_seconds_count{" + labels + "} 1\n");
  }

  @Test
  void typeLabelsFollowGoGrpcPrometheus() {
    assertThat(GrpcServerMetrics.typeLabel(io.grpc.MethodDescriptor.MethodType.UNARY))
        .isEqualTo("UNARY");
    assertThat(GrpcServerMetrics.typeLabel(io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING))
        .isEqualTo("CLIENT_STREAM");
    assertThat(GrpcServerMetrics.typeLabel(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING))
        .isEqualTo("SERVER_STREAM");
    assertThat(GrpcServerMetrics.typeLabel(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING))
        .isEqualTo("BIDI_STREAM");
  }
}
