package dev.offpath.envoyconfig;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Parses an Envoy bootstrap as Envoy would: YAML → JSON → {@link Bootstrap} with a type registry
 * holding every extension the configs use, rejecting unknown fields and {@code Any}s of unknown types;
 * then checks that every cluster a filter, route or access logger names is defined.
 */
final class BootstrapValidator {

  /** Every typed_config type the shipped bootstraps (and Offpath's xDS snapshots) use. */
  static final JsonFormat.TypeRegistry TYPES =
      JsonFormat.TypeRegistry.newBuilder()
          .add(HttpConnectionManager.getDescriptor())
          .add(Router.getDescriptor())
          .add(ExtAuthz.getDescriptor())
          .add(ExternalProcessor.getDescriptor())
          .add(HttpGrpcAccessLogConfig.getDescriptor())
          .add(TcpGrpcAccessLogConfig.getDescriptor())
          .add(TcpProxy.getDescriptor())
          .add(HttpProtocolOptions.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.getDescriptor())
          .build();

  private static final ObjectMapper JSON = new ObjectMapper();

  private BootstrapValidator() {}

  /**
   * @throws InvalidProtocolBufferException for an unknown field or an {@code Any} of an unknown type
   */
  static Bootstrap parse(String yaml) throws Exception {
    Object tree = new Yaml(new LoaderOptions()).load(yaml);
    String json = JSON.writeValueAsString(tree);
    Bootstrap.Builder b = Bootstrap.newBuilder();
    JsonFormat.parser().usingTypeRegistry(TYPES).merge(json, b);
    return b.build();
  }

  /** Cluster names referenced anywhere (gRPC services, routes, TCP proxies) but not defined. */
  static Set<String> undefinedClusters(Bootstrap bootstrap) throws InvalidProtocolBufferException {
    Set<String> defined =
        bootstrap.getStaticResources().getClustersList().stream()
            .map(Cluster::getName)
            .collect(Collectors.toSet());
    Set<String> missing = new TreeSet<>(referencedClusters(bootstrap));
    missing.removeAll(defined);
    return missing;
  }

  static List<String> referencedClusters(Message root) throws InvalidProtocolBufferException {
    List<String> out = new ArrayList<>();
    walk(root, out);
    return out;
  }

  private static void walk(Message m, List<String> clusters) throws InvalidProtocolBufferException {
    String type = m.getDescriptorForType().getFullName();
    if (type.equals("google.protobuf.Any")) {
      Any any = Any.newBuilder().mergeFrom(m.toByteString()).build();
      String url = any.getTypeUrl();
      Descriptor d = TYPES.find(url.substring(url.lastIndexOf('/') + 1));
      if (d == null) {
        throw new InvalidProtocolBufferException("unresolvable Any: " + any.getTypeUrl());
      }
      walk(DynamicMessage.parseFrom(d, any.getValue()), clusters);
      return;
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      String name = f.getName();
      if ((type.equals("envoy.config.core.v3.GrpcService.EnvoyGrpc") && name.equals("cluster_name"))
          || (type.equals("envoy.config.route.v3.RouteAction") && name.equals("cluster"))
          || (type.equals("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy")
              && name.equals("cluster"))) {
        clusters.add((String) e.getValue());
      }
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (f.isRepeated()) {
        for (Object item : (List<?>) e.getValue()) {
          walk((Message) item, clusters);
        }
      } else {
        walk((Message) e.getValue(), clusters);
      }
    }
  }
}
