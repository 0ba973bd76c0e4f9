package dev.offpath.controlplane;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.BindableService;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Offpath's ADS server (java-control-plane's {@link V3DiscoveryServer} over a {@link SimpleCache}):
 * every Envoy node gets the snapshot of the live {@link ProxySpec}. {@link #publish} swaps it whole
 * under a new version when the declaration changed (a reload that leaves it alone does not make Envoy
 * rebuild its listeners); no declaration publishes an empty snapshot. java-control-plane answers
 * requests and tells ACKs (a request carrying the version it was sent) from NACKs (one carrying
 * {@code error_detail}: Envoy keeps its previous config; the library answers with the live version
 * again, so the fix is a corrected config, which publishes the next version). NACKs are logged with
 * the node and Envoy's reason, and counted.
 *
 * <p>Thread-safe: publishing is serialised; the cache pushes to open streams from the publishing
 * thread, ADS requests are answered on the transport's threads without blocking.
 */
public final class ControlPlane {

  /** The cluster every generated filter calls: Offpath itself, defined by the Envoy bootstrap. */
  public static final String OFFPATH_CLUSTER = "offpath";

  private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
  private static final String GROUP = "all";

  private final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
  private final V3DiscoveryServer server;
  private final LongAdder nacks = new LongAdder();
  private @Nullable ProxySpec current;
  private long version;

  public ControlPlane() {
    server = new V3DiscoveryServer(List.of(new Callbacks()), cache);
  }

  /** The ADS service to add to the gRPC server. */
  public BindableService aggregatedDiscoveryService() {
    return server.getAggregatedDiscoveryServiceImpl();
  }

  /** Publishes {@code spec} as the next version unless it is what is live; returns whether it did. */
  public synchronized boolean publish(@Nullable ProxySpec spec) {
    if (version > 0 && Objects.equals(spec, current)) {
      return false;
    }
    version++;
    current = spec;
    cache.setSnapshot(GROUP, Snapshots.of(spec, Long.toString(version)));
    log.info(
        "xDS snapshot version {}: {}",
        version,
        spec == null ? "no EnvoyProxy declared (empty)" : "EnvoyProxy '" + spec.name() + "'");
    return true;
  }

  /** The live snapshot version ("0" before the first publish). */
  public synchronized String version() {
    return Long.toString(version);
  }

  /** Responses Envoy rejected so far. */
  public long nacks() {
    return nacks.sum();
  }

  private final class Callbacks implements DiscoveryServerCallbacks {
    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
      if (request.hasErrorDetail()) {
        nacks.increment();
        log.warn(
            "xDS stream {}: node '{}' rejected {} (nonce {}, keeps version '{}'): {}",
            streamId,
            request.getNode().getId(),
            request.getTypeUrl(),
            request.getResponseNonce(),
            request.getVersionInfo(),
            request.getErrorDetail().getMessage());
      } else if (log.isDebugEnabled()) {
        log.debug(
            "xDS stream {}: node '{}' requests {} (has version '{}')",
            streamId,
            request.getNode().getId(),
            request.getTypeUrl(),
            request.getVersionInfo());
      }
    }

    @Override
    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {}
  }
}
