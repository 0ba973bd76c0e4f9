package dev.offpath.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import dev.offpath.controlplane.ProxySpec.PolicyFilter;
import dev.offpath.controlplane.ProxySpec.Service;
import dev.offpath.controlplane.ProxySpec.TelemetryFilter;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ADS through java-control-plane's API stubs against a real (in-process) server. */
class ControlPlaneTest {

  static final ProxySpec EDGE =
      new ProxySpec(
          "edge",
          "0.0.0.0",
          10000,
          PolicyFilter.EXT_AUTHZ,
          TelemetryFilter.ACCESS_LOG,
          false,
          List.of(
              new Service("shop", "127.0.0.1", 8080, "/"),
              new Service("api", "api.internal", 9000, "/api/")));

  private final ControlPlane controlPlane = new ControlPlane();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(controlPlane.aggregatedDiscoveryService())
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** One ADS stream, as Envoy holds it. */
  private final class Envoy implements StreamObserver<DiscoveryResponse> {
    final LinkedBlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    final StreamObserver<DiscoveryRequest> requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(this);
    final Node node = Node.newBuilder().setId("envoy-test").setCluster("demo").build();

    void request(String typeUrl, String version, String nonce, List<String> names) {
      requests.onNext(
          DiscoveryRequest.newBuilder()
              .setNode(node)
              .setTypeUrl(typeUrl)
              .setVersionInfo(version)
              .setResponseNonce(nonce)
              .addAllResourceNames(names)
              .build());
    }

    void ack(DiscoveryResponse r, List<String> names) {
      request(r.getTypeUrl(), r.getVersionInfo(), r.getNonce(), names);
    }

    void nack(DiscoveryResponse r, String keptVersion) {
      requests.onNext(
          DiscoveryRequest.newBuilder()
              .setNode(node)
              .setTypeUrl(r.getTypeUrl())
              .setVersionInfo(keptVersion)
              .setResponseNonce(r.getNonce())
              .setErrorDetail(Status.newBuilder().setCode(3).setMessage("bad listener"))
              .build());
    }

    DiscoveryResponse next() throws InterruptedException {
      DiscoveryResponse r = responses.poll(10, TimeUnit.SECONDS);
      assertThat(r).as("a DiscoveryResponse within 10 s").isNotNull();
      return r;
    }

    @Override
    public void onNext(DiscoveryResponse value) {
      responses.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  @Test
  void snapshotArrivesAckedThenNackedThenANewVersionAfterReload() throws Exception {
    controlPlane.publish(EDGE);
    Envoy envoy = new Envoy();

    envoy.request(Resources.V3.CLUSTER_TYPE_URL, "", "", List.of());
    DiscoveryResponse cds = envoy.next();
    assertThat(cds.getVersionInfo()).isEqualTo("1");
    List<Cluster> clusters = unpack(cds, Cluster.class);
    assertThat(clusters).extracting(Cluster::getName).containsExactlyInAnyOrder("shop", "api");
    assertThat(clusters)
        .filteredOn(c -> c.getName().equals("api"))
        .extracting(Cluster::getType)
        .containsExactly(Cluster.DiscoveryType.STRICT_DNS);
    envoy.ack(cds, List.of());

    envoy.request(Resources.V3.LISTENER_TYPE_URL, "", "", List.of());
    DiscoveryResponse lds = envoy.next();
    assertThat(lds.getVersionInfo()).isEqualTo("1");
    Listener listener = unpack(lds, Listener.class).get(0);
    assertThat(listener.getAddress().getSocketAddress().getPortValue()).isEqualTo(10000);
    HttpConnectionManager hcm =
        listener.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
    assertThat(hcm.getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.ext_authz", "envoy.filters.http.router");
    assertThat(
            hcm.getHttpFilters(0)
                .getTypedConfig()
                .unpack(ExtAuthz.class)
                .getGrpcService()
                .getEnvoyGrpc()
                .getClusterName())
        .isEqualTo("offpath");
    assertThat(
            hcm.getAccessLog(0)
                .getTypedConfig()
                .unpack(HttpGrpcAccessLogConfig.class)
                .getCommonConfig()
                .getGrpcService()
                .getEnvoyGrpc()
                .getClusterName())
        .isEqualTo("offpath");
    assertThat(hcm.getRds().getRouteConfigName()).isEqualTo(Snapshots.ROUTES);

    envoy.request(Resources.V3.ROUTE_TYPE_URL, "", "", List.of(Snapshots.ROUTES));
    DiscoveryResponse rds = envoy.next();
    RouteConfiguration routes = unpack(rds, RouteConfiguration.class).get(0);
    assertThat(routes.getVirtualHosts(0).getRoutesList())
        .extracting(r -> r.getMatch().getPrefix() + " -> " + r.getRoute().getCluster())
        .containsExactly("/api/ -> api", "/ -> shop");
    envoy.ack(rds, List.of(Snapshots.ROUTES));

    // Envoy rejects the listener and keeps what it had (nothing yet): the NACK is counted, and
    // java-control-plane answers it with the live version again under a new nonce...
    envoy.nack(lds, "");
    DiscoveryResponse again = nextOfType(envoy, Resources.V3.LISTENER_TYPE_URL);
    assertThat(again.getVersionInfo()).isEqualTo("1");
    assertThat(again.getNonce()).isNotEqualTo(lds.getNonce());
    envoy.ack(again, List.of());
    // ...a reload that leaves the declaration alone publishes nothing, one that changes it does.
    assertThat(controlPlane.publish(EDGE)).isFalse();
    ProxySpec extProc =
        new ProxySpec(
            "edge", "0.0.0.0", 10001, PolicyFilter.EXT_PROC, TelemetryFilter.EXT_PROC, false,
            EDGE.services());
    assertThat(controlPlane.publish(extProc)).isTrue();
    assertThat(controlPlane.version()).isEqualTo("2");

    DiscoveryResponse lds2 = nextOfType(envoy, Resources.V3.LISTENER_TYPE_URL);
    assertThat(lds2.getVersionInfo()).isEqualTo("2");
    HttpConnectionManager hcm2 =
        unpack(lds2, Listener.class).get(0).getFilterChains(0).getFilters(0).getTypedConfig()
            .unpack(HttpConnectionManager.class);
    assertThat(hcm2.getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.ext_proc", "envoy.filters.http.router");
    ExternalProcessor ext = hcm2.getHttpFilters(0).getTypedConfig().unpack(ExternalProcessor.class);
    assertThat(ext.getObservabilityMode()).isFalse();
    assertThat(ext.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("offpath");
    assertThat(hcm2.getAccessLogCount()).isZero();
    assertThat(controlPlane.nacks()).isEqualTo(1);
  }

  @Test
  void extProcOnlyReportingRunsInObservabilityModeBesideExtAuthz() throws Exception {
    controlPlane.publish(
        new ProxySpec(
            "edge", "0.0.0.0", 10000, PolicyFilter.EXT_AUTHZ, TelemetryFilter.EXT_PROC, true,
            EDGE.services()));
    Envoy envoy = new Envoy();
    envoy.request(Resources.V3.LISTENER_TYPE_URL, "", "", List.of());
    HttpConnectionManager hcm =
        unpack(envoy.next(), Listener.class).get(0).getFilterChains(0).getFilters(0).getTypedConfig()
            .unpack(HttpConnectionManager.class);
    assertThat(hcm.getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly(
            "envoy.filters.http.ext_authz", "envoy.filters.http.ext_proc", "envoy.filters.http.router");
    assertThat(hcm.getHttpFilters(0).getTypedConfig().unpack(ExtAuthz.class).getFailureModeAllow())
        .isTrue();
    assertThat(hcm.getHttpFilters(1).getTypedConfig().unpack(ExternalProcessor.class).getObservabilityMode())
        .isTrue();
    assertThat(hcm.getAccessLogCount()).isZero();
  }

  @Test
  void noDeclarationServesAnEmptySnapshot() throws Exception {
    controlPlane.publish(null);
    Envoy envoy = new Envoy();
    envoy.request(Resources.V3.LISTENER_TYPE_URL, "", "", List.of());
    DiscoveryResponse r = envoy.next();
    assertThat(r.getVersionInfo()).isEqualTo("1");
    assertThat(r.getResourcesCount()).isZero();
  }

  private static DiscoveryResponse nextOfType(Envoy envoy, String typeUrl) throws Exception {
    while (true) {
      DiscoveryResponse r = envoy.next();
      if (r.getTypeUrl().equals(typeUrl)) {
        return r;
      }
    }
  }

  private static <T extends com.google.protobuf.Message> List<T> unpack(
      DiscoveryResponse r, Class<T> type) throws Exception {
    List<T> out = new java.util.ArrayList<>();
    for (var any : r.getResourcesList()) {
      out.add(any.unpack(type));
    }
    return out;
  }
}
