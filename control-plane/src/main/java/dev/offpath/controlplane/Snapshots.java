package dev.offpath.controlplane;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import dev.offpath.controlplane.ProxySpec.PolicyFilter;
import dev.offpath.controlplane.ProxySpec.Service;
import dev.offpath.controlplane.ProxySpec.TelemetryFilter;
import dev.offpath.core.attribute.IpAddress;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.CommonGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.MetadataOptions;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Builds the xDS snapshot for a {@link ProxySpec}, the same wiring as {@code
 * envoy-config/bootstrap-static.yaml}:
 *
 * <ul>
 *   <li>listener {@value #LISTENER} on the declared address and port: the HTTP connection manager
 *       takes its routes over ADS (RDS {@value #ROUTES}); HTTP filters ext_authz (policy) and/or
 *       ext_proc (headers only; in observability mode when it only reports), then the router; the
 *       HTTP gRPC access log when telemetry is {@code access_log}. Every filter calls the
 *       {@value ControlPlane#OFFPATH_CLUSTER} cluster, which the bootstrap defines statically (Envoy
 *       must reach Offpath before it has any xDS resource).
 *   <li>route configuration {@value #ROUTES}: one virtual host for every domain, a prefix route per
 *       service, longest prefix first.
 *   <li>a cluster per service: STATIC for an IP address, STRICT_DNS for a host name.
 * </ul>
 */
final class Snapshots {

  static final String LISTENER = "offpath_http";
  static final String ROUTES = "offpath_routes";

  /** What ext_proc cannot read from the headers. */
  static final List<String> EXT_PROC_ATTRIBUTES =
      List.of(
          "source.address",
          "destination.address",
          "request.time",
          "request.protocol",
          "connection.mtls",
          "connection.requested_server_name",
          "connection.uri_san_peer_certificate",
          "connection.uri_san_local_certificate");

  private Snapshots() {}

  static Snapshot of(@Nullable ProxySpec spec, String version) {
    if (spec == null) {
      return Snapshot.create(List.of(), List.of(), List.of(), List.of(), List.of(), version);
    }
    return Snapshot.create(
        spec.services().stream().map(Snapshots::cluster).toList(),
        List.of(),
        List.of(listener(spec)),
        List.of(routes(spec)),
        List.of(),
        version);
  }

  static Listener listener(ProxySpec spec) {
    HttpConnectionManager.Builder hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix(LISTENER)
            .setRds(
                Rds.newBuilder()
                    .setRouteConfigName(ROUTES)
                    .setConfigSource(
                        ConfigSource.newBuilder()
                            .setAds(AggregatedConfigSource.getDefaultInstance())
                            .setResourceApiVersion(ApiVersion.V3)));
    if (spec.policy() == PolicyFilter.EXT_AUTHZ) {
      hcm.addHttpFilters(filter("envoy.filters.http.ext_authz", extAuthz(spec)));
    }
    if (spec.policy() == PolicyFilter.EXT_PROC || spec.telemetry() == TelemetryFilter.EXT_PROC) {
      hcm.addHttpFilters(filter("envoy.filters.http.ext_proc", extProc(spec)));
    }
    hcm.addHttpFilters(filter("envoy.filters.http.router", Router.getDefaultInstance()));
    if (spec.telemetry() == TelemetryFilter.ACCESS_LOG) {
      hcm.addAccessLog(
          AccessLog.newBuilder()
              .setName("envoy.access_loggers.http_grpc")
              .setTypedConfig(
                  Any.pack(
                      HttpGrpcAccessLogConfig.newBuilder()
                          .setCommonConfig(
                              CommonGrpcAccessLogConfig.newBuilder()
                                  .setLogName("offpath")
                                  .setTransportApiVersion(ApiVersion.V3)
                                  .setGrpcService(offpath(null))
                                  .setBufferFlushInterval(millis(100))
                                  .setBufferSizeBytes(UInt32Value.of(16384)))
                          .build())));
    }
    return Listener.newBuilder()
        .setName(LISTENER)
        .setAddress(address(spec.listenerAddress(), spec.listenerPort()))
        .addFilterChains(
            FilterChain.newBuilder()
                .addFilters(
                    Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager")
                        .setTypedConfig(Any.pack(hcm.build()))))
        .build();
  }

  private static ExtAuthz extAuthz(ProxySpec spec) {
    return ExtAuthz.newBuilder()
        .setTransportApiVersion(ApiVersion.V3)
        .setGrpcService(offpath(millis(250)))
        .setFailureModeAllow(spec.failureModeAllow())
        .setIncludePeerCertificate(true)
        .build();
  }

  private static ExternalProcessor extProc(ProxySpec spec) {
    return ExternalProcessor.newBuilder()
        .setGrpcService(offpath(millis(250)))
        .setFailureModeAllow(spec.failureModeAllow())
        .setMessageTimeout(millis(200))
        .setProcessingMode(
            ProcessingMode.newBuilder()
                .setRequestHeaderMode(ProcessingMode.HeaderSendMode.SEND)
                .setResponseHeaderMode(ProcessingMode.HeaderSendMode.SEND)
                .setRequestBodyMode(ProcessingMode.BodySendMode.NONE)
                .setResponseBodyMode(ProcessingMode.BodySendMode.NONE)
                .setRequestTrailerMode(ProcessingMode.HeaderSendMode.SKIP)
                .setResponseTrailerMode(ProcessingMode.HeaderSendMode.SKIP))
        .addAllRequestAttributes(EXT_PROC_ATTRIBUTES)
        // Telemetry only: Envoy expects no answers and Offpath evaluates no policy.
        .setObservabilityMode(spec.policy() != PolicyFilter.EXT_PROC)
        .setMetadataOptions(
            MetadataOptions.newBuilder()
                .setReceivingNamespaces(
                    MetadataOptions.MetadataNamespaces.newBuilder().addUntyped("offpath")))
        .build();
  }

  private static HttpFilter filter(String name, com.google.protobuf.Message config) {
    return HttpFilter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  private static GrpcService offpath(@Nullable Duration timeout) {
    GrpcService.Builder g =
        GrpcService.newBuilder()
            .setEnvoyGrpc(
                GrpcService.EnvoyGrpc.newBuilder().setClusterName(ControlPlane.OFFPATH_CLUSTER));
    if (timeout != null) {
      g.setTimeout(timeout);
    }
    return g.build();
  }

  static RouteConfiguration routes(ProxySpec spec) {
    VirtualHost.Builder vhost = VirtualHost.newBuilder().setName("services").addDomains("*");
    spec.services().stream()
        .sorted(Comparator.comparingInt((Service s) -> s.prefix().length()).reversed())
        .forEach(
            s ->
                vhost.addRoutes(
                    Route.newBuilder()
                        .setName(s.name())
                        .setMatch(RouteMatch.newBuilder().setPrefix(s.prefix()))
                        .setRoute(RouteAction.newBuilder().setCluster(s.name()))));
    return RouteConfiguration.newBuilder().setName(ROUTES).addVirtualHosts(vhost).build();
  }

  static Cluster cluster(Service s) {
    return Cluster.newBuilder()
        .setName(s.name())
        .setType(isIp(s.address()) ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.STRICT_DNS)
        .setConnectTimeout(millis(1000))
        .setLoadAssignment(
            ClusterLoadAssignment.newBuilder()
                .setClusterName(s.name())
                .addEndpoints(
                    LocalityLbEndpoints.newBuilder()
                        .addLbEndpoints(
                            LbEndpoint.newBuilder()
                                .setEndpoint(
                                    Endpoint.newBuilder().setAddress(address(s.address(), s.port()))))))
        .build();
  }

  private static boolean isIp(String address) {
    try {
      IpAddress.parse(address);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static Address address(String host, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port))
        .build();
  }

  private static Duration millis(long ms) {
    return Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }
}
