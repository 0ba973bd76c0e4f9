package dev.offpath.envoyconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every shipped bootstrap parses into Envoy's Bootstrap proto, every Any resolved, every cluster defined. */
class BootstrapsTest {

  static final Path DIR = Path.of(".");

  static List<Path> bootstraps() throws Exception {
    try (Stream<Path> files = Files.list(DIR)) {
      return files
          .filter(p -> p.getFileName().toString().matches("bootstrap.*\\.yaml"))
          .sorted()
          .toList();
    }
  }

  @Test
  void bothBootstrapsAreShipped() throws Exception {
    assertThat(bootstraps())
        .extracting(p -> p.getFileName().toString())
        .containsExactly("bootstrap-ads.yaml", "bootstrap-static.yaml", "bootstrap-tls.yaml");
  }

  @Test
  void tlsBootstrapSpeaksMtlsToOffpath() throws Exception {
    Bootstrap b = BootstrapValidator.parse(Files.readString(DIR.resolve("bootstrap-tls.yaml")));
    var offpath =
        b.getStaticResources().getClustersList().stream()
            .filter(c -> c.getName().equals("offpath"))
            .findFirst()
            .orElseThrow();
    var tls =
        offpath
            .getTransportSocket()
            .getTypedConfig()
            .unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.class);
    var common = tls.getCommonTlsContext();
    assertThat(common.getAlpnProtocolsList()).containsExactly("h2");
    assertThat(common.getTlsParams().getTlsMinimumProtocolVersion().name()).isEqualTo("TLSv1_2");
    assertThat(common.getTlsCertificates(0).getCertificateChain().getFilename()).isEqualTo("/etc/envoy/tls/tls.crt");
    assertThat(common.getValidationContext().getTrustedCa().getFilename()).isEqualTo("/etc/envoy/tls/ca.crt");
    assertThat(common.getValidationContext().getMatchTypedSubjectAltNamesList()).hasSize(1);
    assertThat(BootstrapValidator.undefinedClusters(b)).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("bootstraps")
  void parsesWithEveryAnyResolvedAndEveryClusterDefined(Path file) throws Exception {
    Bootstrap b = BootstrapValidator.parse(Files.readString(file));
    assertThat(BootstrapValidator.referencedClusters(b)).contains("offpath");
    assertThat(BootstrapValidator.undefinedClusters(b)).isEmpty();
    var offpath =
        b.getStaticResources().getClustersList().stream()
            .filter(c -> c.getName().equals("offpath"))
            .findFirst()
            .orElseThrow();
    assertThat(offpath.getTypedExtensionProtocolOptionsMap())
        .containsKey("envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
  }

  @Test
  void staticBootstrapWiresEachFrontDoorToOffpath() throws Exception {
    Bootstrap b = BootstrapValidator.parse(Files.readString(DIR.resolve("bootstrap-static.yaml")));
    List<Listener> listeners = b.getStaticResources().getListenersList();
    assertThat(listeners).extracting(Listener::getName).containsExactly("http_ext_authz", "http_ext_proc", "tcp");

    HttpConnectionManager authz = hcm(listeners.get(0));
    assertThat(authz.getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.ext_authz", "envoy.filters.http.router");
    HttpGrpcAccessLogConfig log =
        authz.getAccessLog(0).getTypedConfig().unpack(HttpGrpcAccessLogConfig.class);
    assertThat(log.getCommonConfig().hasBufferFlushInterval()).isTrue();
    assertThat(log.getCommonConfig().getBufferSizeBytes().getValue()).isPositive();

    HttpConnectionManager proc = hcm(listeners.get(1));
    ExternalProcessor ext =
        proc.getHttpFilters(0).getTypedConfig().unpack(ExternalProcessor.class);
    assertThat(ext.getProcessingMode().getRequestBodyMode()).isEqualTo(ProcessingMode.BodySendMode.NONE);
    assertThat(ext.getProcessingMode().getResponseBodyMode()).isEqualTo(ProcessingMode.BodySendMode.NONE);
    assertThat(ext.getObservabilityMode()).isFalse();
    assertThat(ext.getRequestAttributesList()).contains("source.address", "request.time");
  }

  private static HttpConnectionManager hcm(Listener l) throws InvalidProtocolBufferException {
    return l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
  }

  @Test
  void unknownFieldsUnknownTypesAndMissingClustersAreCaught() throws Exception {
    String good = Files.readString(DIR.resolve("bootstrap-static.yaml"));
    assertThatThrownBy(
            () -> BootstrapValidator.parse(good.replace("failure_mode_allow: false", "failure_mode_allowed: false")))
        .isInstanceOf(InvalidProtocolBufferException.class)
        .hasMessageContaining("failure_mode_allowed");
    assertThatThrownBy(
            () ->
                BootstrapValidator.parse(
                    good.replace(
                        "envoy.extensions.filters.http.router.v3.Router",
                        "envoy.extensions.filters.http.cors.v3.Cors")))
        .isInstanceOf(InvalidProtocolBufferException.class)
        .hasMessageContaining("envoy.extensions.filters.http.cors.v3.Cors");
    Bootstrap typo =
        BootstrapValidator.parse(good.replace("envoy_grpc: {cluster_name: offpath}\n                timeout", "envoy_grpc: {cluster_name: ofpath}\n                timeout"));
    assertThat(BootstrapValidator.undefinedClusters(typo)).containsExactly("ofpath");
  }
}
