package dev.offpath.benchmarks.telemetry;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.offpath.adapters.prometheus.PrometheusFactory;
import dev.offpath.benchmarks.Resources;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigText;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.runtime.RuntimeServices;
import dev.offpath.core.time.Ticker;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.HTTPAccessLogEntries;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.Identifier;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the telemetry benchmarks share: Istio 1.0's default metrics on the real prometheus adapter,
 * and access-log entries as an Istio sidecar sends them, over a realistic spread of label sets (6
 * destination services × 4 response codes × 2 directions).
 */
public final class TelemetryFixture {

  private TelemetryFixture() {}

  static final String[] SERVICES = {
    "reviews", "ratings", "details", "productpage", "cart", "checkout"
  };
  static final int[] CODES = {200, 200, 200, 200, 200, 200, 201, 404, 503};

  public static String config() {
    return Resources.text(TelemetryFixture.class, "istio-telemetry.yaml");
  }

  /** A policy store running the Istio telemetry, its prometheus handler on {@code registry}. */
  static PolicyStore store(PrometheusRegistry registry, ScheduledExecutorService scheduler)
      throws ConfigException {
    AdapterRegistry adapters = AdapterRegistry.of(List.of(new PrometheusFactory(registry)));
    PolicyStore store =
        new PolicyStore(
            new RuntimeServices(
                adapters, Ticker.system(), Clock.systemUTC(), scheduler, RuntimeMetrics.NOOP,
                false));
    store.install(
        new ConfigLoader(adapters).loadTexts(List.of(new ConfigText("istio.yaml", config()))));
    return store;
  }

  public static Identifier identifier() {
    return Identifier.newBuilder()
        .setLogName("bench")
        .setNode(
            Node.newBuilder()
                .setId("sidecar~10.1.0.7~productpage-v1-6b746f74dc-9stvs.default~default.svc.cluster.local")
                .setMetadata(
                    Struct.newBuilder()
                        .putFields("WORKLOAD_NAME", Value.newBuilder().setStringValue("productpage-v1").build())
                        .putFields("NAMESPACE", Value.newBuilder().setStringValue("default").build())))
        .build();
  }

  private static Address address(String ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }

  /** The {@code i}-th entry of a deterministic spread. */
  static HTTPAccessLogEntry entry(int i) {
    String service = SERVICES[i % SERVICES.length];
    String direction = (i / SERVICES.length) % 2 == 0 ? "outbound" : "inbound";
    int code = CODES[(i / 7) % CODES.length];
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(
            AccessLogCommon.newBuilder()
                .setUpstreamCluster(direction + "|9080||" + service + ".default.svc.cluster.local")
                .setDownstreamRemoteAddress(address("10.1.0.7", 40000 + (i % 1000)))
                .setDownstreamLocalAddress(address("10.1.0.9", 9080))
                .setUpstreamRemoteAddress(address("10.1.3.12", 9080))
                .setStartTime(Timestamp.newBuilder().setSeconds(1_767_225_600L + i))
                .setTimeToLastDownstreamTxByte(Duration.newBuilder().setNanos(1_000_000 + (i % 50) * 700_000)))
        .setRequest(
            HTTPRequestProperties.newBuilder()
                .setRequestMethod(RequestMethod.GET)
                .setAuthority(service + ":9080")
                .setPath("/" + service + "/" + (i % 100))
                .setScheme("http")
                .setRequestId("6f1c9a5e-" + i)
                .setUserAgent("curl/8.5")
                .setRequestHeadersBytes(230)
                .setRequestBodyBytes(i % 3 == 0 ? 0 : 512))
        .setResponse(
            HTTPResponseProperties.newBuilder()
                .setResponseCode(UInt32Value.of(code))
                .setResponseHeadersBytes(180)
                .setResponseBodyBytes(100 + (i % 40) * 250))
        .build();
  }

  static List<HTTPAccessLogEntry> entries(int n) {
    List<HTTPAccessLogEntry> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(entry(i));
    }
    return out;
  }

  /** Messages of {@code perMessage} entries each, the first carrying the identifier. */
  public static List<StreamAccessLogsMessage> messages(int count, int perMessage, int seed) {
    List<StreamAccessLogsMessage> out = new ArrayList<>(count);
    for (int m = 0; m < count; m++) {
      HTTPAccessLogEntries.Builder entries = HTTPAccessLogEntries.newBuilder();
      for (int e = 0; e < perMessage; e++) {
        entries.addLogEntry(entry(seed + m * perMessage + e));
      }
      StreamAccessLogsMessage.Builder b = StreamAccessLogsMessage.newBuilder().setHttpLogs(entries);
      if (m == 0) {
        b.setIdentifier(identifier());
      }
      out.add(b.build());
    }
    return out;
  }
}
