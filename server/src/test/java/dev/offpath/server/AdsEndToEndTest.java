package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ADS on the gRPC port: the EnvoyProxy declaration in the config files, republished on reload. */
class AdsEndToEndTest {

  static final String PROXY =
      """
      apiVersion: offpath.dev/v1alpha1
      kind: EnvoyProxy
      metadata: {name: edge}
      spec:
        listener: {port: %d}
        services:
        - {name: shop, address: 127.0.0.1, port: 8080}
      """;

  @TempDir Path dir;
  private ServerHarness harness;

  @AfterEach
  void stop() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  @Test
  void listenersComeFromTheConfigAndAReloadPublishesTheNextVersion() throws Exception {
    Path file = dir.resolve("proxy.yaml");
    Files.writeString(file, PROXY.formatted(10000));
    harness = ServerHarness.start(ServerHarness.options(List.of(file), false));

    LinkedBlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> requests =
        AggregatedDiscoveryServiceGrpc.newStub(harness.channel)
            .streamAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse value) {
                    responses.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    Node node = Node.newBuilder().setId("envoy-e2e").build();
    requests.onNext(
        DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(Resources.V3.LISTENER_TYPE_URL).build());
    DiscoveryResponse first = responses.poll(10, TimeUnit.SECONDS);
    assertThat(first).isNotNull();
    assertThat(first.getVersionInfo()).isEqualTo("1");
    assertThat(first.getResources(0).unpack(Listener.class).getAddress().getSocketAddress().getPortValue())
        .isEqualTo(10000);
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(Resources.V3.LISTENER_TYPE_URL)
            .setVersionInfo(first.getVersionInfo())
            .setResponseNonce(first.getNonce())
            .build());

    // A bad declaration is rejected with the rest of the config: nothing new is published.
    Files.writeString(file, PROXY.formatted(70000));
    assertThat(harness.server.reload()).isFalse();
    assertThat(harness.server.controlPlane().version()).isEqualTo("1");

    Files.writeString(file, PROXY.formatted(10001));
    assertThat(harness.server.reload()).isTrue();
    DiscoveryResponse second = responses.poll(10, TimeUnit.SECONDS);
    assertThat(second).isNotNull();
    assertThat(second.getVersionInfo()).isEqualTo("2");
    assertThat(second.getResources(0).unpack(Listener.class).getAddress().getSocketAddress().getPortValue())
        .isEqualTo(10001);
    assertThat(harness.metrics()).contains("mixer_config_load_error_count_total 1.0");
    requests.onCompleted();
  }
}
