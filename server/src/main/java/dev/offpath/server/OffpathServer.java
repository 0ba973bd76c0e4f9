package dev.offpath.server;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.offpath.accesslog.AccessLogService;
import dev.offpath.adapters.prometheus.PrometheusFactory;
import dev.offpath.cache.CachingDecider;
import dev.offpath.cache.CheckCache;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.config.Action;
import dev.offpath.controlplane.ControlPlane;
import dev.offpath.core.config.ConfigError;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigWarning;
import dev.offpath.core.config.HandlerConfig;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.runtime.Decider;
import dev.offpath.core.runtime.PolicyEngine;
import dev.offpath.core.runtime.ListeningDecider;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.server.decisions.DecisionLog;
import dev.offpath.core.runtime.RuntimeServices;
import dev.offpath.core.telemetry.ReportPipeline;
import dev.offpath.core.telemetry.ReportSink;
import dev.offpath.core.time.Ticker;
import dev.offpath.envoy.attributes.RequestLimits;
import dev.offpath.extauthz.AuthorizationService;
import dev.offpath.extauthz.LazyCheckService;
import dev.offpath.extproc.ExternalProcessorService;
import dev.offpath.server.admin.AdminAuth;
import dev.offpath.server.admin.AdminServer;
import dev.offpath.server.admin.CheckLatency;
import dev.offpath.server.admin.ConfigLoads;
import dev.offpath.server.admin.DebugEndpoints;
import dev.offpath.server.admin.DecisionCounts;
import dev.offpath.server.admin.Introspection;
import dev.offpath.server.admin.IntrospectionPage;
import dev.offpath.server.admin.LiveStats;
import dev.offpath.server.metrics.CheckCacheMetrics;
import dev.offpath.server.metrics.FrontDoorMetrics;
import dev.offpath.server.metrics.GrpcServerMetrics;
import dev.offpath.server.metrics.HandlerMetrics;
import dev.offpath.server.metrics.MixerMetrics;
import dev.offpath.server.metrics.TelemetryMetrics;
import dev.offpath.server.tls.ServerTls;
import dev.offpath.server.tls.TlsMaterialException;
import dev.offpath.server.tracing.OtelTracing;
import dev.offpath.server.tracing.TracingDecider;
import dev.offpath.server.tracing.TracingRuntimeMetrics;
import dev.offpath.server.watch.ConfigWatcher;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running server and the only place where parts are wired together: config source → loader →
 * {@link PolicyStore} (behind the check cache); the report pipeline on the same store; the gRPC
 * server (ext_authz, ext_proc, the access-log service, ADS and health, with metrics); the admin
 * HTTP server; the telemetry HTTP server (the prometheus adapter's registry); the config watcher.
 * A config load reads the Mixer policy and the {@code EnvoyProxy} declaration from the same
 * files; either failing rejects the whole load, and a good one installs the policy and publishes
 * the xDS snapshot.
 *
 * <p>Lifecycle: {@link #start} loads the config (a bad config at start is fatal: nothing to serve),
 * binds every port and logs them on one line. A reload (file change) that fails validation is
 * logged, counted and ignored: the last good snapshot keeps serving. {@link #close} is graceful:
 * health goes NOT_SERVING, the gRPC server stops accepting, access-log streams are completed after
 * the message they are handling, other calls in flight get up to the grace period; then the report
 * pipeline dispatches everything it accepted (up to the grace period again, the rest counted as
 * dropped), and the rest stops.
 *
 * <p>Threads: gRPC calls run on the {@link GrpcTransport}'s event loops (handlers never block);
 * telemetry dispatch on the report pipeline's workers; reloads on the watcher's
 * thread (serialised); adapters' background work on one scheduler thread; admin on its own pool.
 */
public final class OffpathServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OffpathServer.class);

  private final ServerOptions options;
  private final ConfigSource source;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusRegistry telemetryRegistry;
  private final MixerMetrics mixerMetrics = new MixerMetrics(registry);
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "offpath-adapters");
            t.setDaemon(true);
            return t;
          });
  private final @Nullable OtelTracing tracing;
  private final dev.offpath.core.trace.Tracer tracer;
  private final PolicyStore store;
  private final ReportPipeline reports;
  private final AccessLogService accessLog;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Instant startedAt = Instant.now();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ObjectMapper json = new ObjectMapper();
  /** Serialises the first load and every reload (a reload waits for the first install). */
  private final Object reloadLock = new Object();
  private final ControlPlane controlPlane = new ControlPlane();
  private final ConfigLoads loads = new ConfigLoads(Clock.systemUTC());
  private @Nullable CheckCache checkCache;
  private @Nullable GrpcTransport transport;
  private @Nullable Server grpc;
  private @Nullable AdminServer admin;
  private @Nullable AdminServer telemetry;
  private @Nullable ConfigWatcher watcher;
  private @Nullable ServerTls tls;
  private @Nullable DecisionLog decisionLog;

  private OffpathServer(ServerOptions options) {
    this.options = requireNonNull(options, "options");
    AdapterRegistry adapters = AdapterRegistry.installed();
    this.source = new ConfigSource(new ConfigLoader(adapters), options.configPaths());
    // Tracing off: no tracing objects anywhere on the request path (the SPI's NOOP, no wrappers).
    this.tracing = options.tracing().enabled() ? OtelTracing.start(options.tracing()) : null;
    this.tracer = tracing == null ? dev.offpath.core.trace.Tracer.NOOP : tracing.spi();
    this.store =
        new PolicyStore(
            new RuntimeServices(
                adapters,
                Ticker.system(),
                Clock.systemUTC(),
                scheduler,
                tracing == null ? mixerMetrics : new TracingRuntimeMetrics(mixerMetrics, tracing),
                options.failOpen(),
                tracer));
    this.telemetryRegistry =
        adapters.find("prometheus") instanceof PrometheusFactory prometheus
            ? prometheus.registry()
            : new PrometheusRegistry();
    this.reports =
        ReportPipeline.builder(store)
            .metrics(mixerMetrics)
            .workers(options.reportWorkers())
            .capacity(options.reportQueue())
            .tracer(tracer)
            .start();
    this.accessLog = new AccessLogService(reports);
  }

  /**
   * Loads the config and starts serving.
   *
   * @throws ConfigException when the initial config is invalid
   * @throws IOException when a config file cannot be read or a port cannot be bound
   */
  public static OffpathServer start(ServerOptions options) throws ConfigException, IOException {
    OffpathServer server = new OffpathServer(options);
    try {
      server.startParts();
      return server;
    } catch (ConfigException | IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  private void startParts() throws ConfigException, IOException {
    // Watch before the first load: an edit made while the ports bind or handlers connect is then
    // served by a reload (which waits for the first install), never missed.
    if (options.watchConfig() && !source.isEmbedded()) {
      watcher = ConfigWatcher.builder(source.paths(), this::reload).start();
    }
    synchronized (reloadLock) {
      try {
        install(source.load());
      } catch (ConfigException e) {
        mixerMetrics.configRejected(e.errors());
        loads.rejected(0, e.errors().stream().map(ConfigError::toString).toList());
        throw e;
      }
    }
    JvmMetrics.builder().register(registry);
    registry.register(new HandlerMetrics(store::current));

    GrpcServerMetrics grpcMetrics = new GrpcServerMetrics(registry);
    DecisionCounts counted = new DecisionCounts(decider());
    Decider decider =
        tracing == null ? counted : new TracingDecider(counted, store::current, tracing);
    AuthorizationService authz = new AuthorizationService(decider, RequestLimits.DEFAULT);
    ExternalProcessorService extProc =
        new ExternalProcessorService(
            decider, RequestLimits.DEFAULT, reports, Ticker.system(), Clock.systemUTC());
    FrontDoorMetrics.register(extProc.stats(), controlPlane, registry);
    TelemetryMetrics.register(reports, accessLog, registry);
    SecurityOptions security = options.security();
    AdminAuth adminAuth = AdminAccess.check(options.adminAddress(), security);
    InetSocketAddress grpcAddress = new InetSocketAddress(options.grpcAddress(), options.grpcPort());
    if (security.tls() != null) {
      try {
        tls = ServerTls.start(security.tls(), true);
      } catch (TlsMaterialException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
      tls.register(registry);
    }
    transport = GrpcTransport.create(options.eventLoopThreads());
    grpc =
        GrpcTransport.limit(
                transport.configure(
                    tls == null
                        ? NettyServerBuilder.forAddress(grpcAddress)
                        : NettyServerBuilder.forAddress(grpcAddress, tls.credentials())),
                security.limits())
            .directExecutor()
            .maxInboundMessageSize(options.maxMessageBytes())
            .addService(
                ServerInterceptors.intercept(
                    options.lazyCheckRequests()
                        ? LazyCheckService.definition(authz)
                        : authz.bindService(),
                    grpcMetrics))
            .addService(ServerInterceptors.intercept(extProc, grpcMetrics))
            .addService(
                ServerInterceptors.intercept(controlPlane.aggregatedDiscoveryService(), grpcMetrics))
            .addService(ServerInterceptors.intercept(accessLog, grpcMetrics))
            .addService(ServerInterceptors.intercept(health.getHealthService(), grpcMetrics))
            .build()
            .start();
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus("envoy.service.auth.v3.Authorization", ServingStatus.SERVING);
    health.setStatus("envoy.service.ext_proc.v3.ExternalProcessor", ServingStatus.SERVING);
    health.setStatus(
        "envoy.service.discovery.v3.AggregatedDiscoveryService", ServingStatus.SERVING);
    health.setStatus("envoy.service.accesslog.v3.AccessLogService", ServingStatus.SERVING);

    LiveStats live = liveStats(counted);
    AdminServer.Builder adminBuilder = AdminServer.builder();
    if (adminAuth != null) {
      adminBuilder.filter(adminAuth);
      CounterWithCallback.builder()
          .name("offpath_admin_auth_failures")
          .help("Admin requests refused for a missing or wrong bearer token.")
          .callback(cb -> cb.call(adminAuth.refused()))
          .register(registry);
    }
    if (tls != null && !AdminAccess.isLoopback(options.adminAddress())) {
      adminBuilder.tls(tls.adminContext());
    }
    // The debug endpoints answer other hosts only when the admin port is secured (TLS + token).
    adminBuilder.secured(adminAuth != null && tls != null);
    adminBuilder
            .address(options.adminAddress(), options.adminPort())
            .registry(registry)
            .readiness(() -> !closed.get() && store.hasConfig())
            .config(this::configJson)
            .debugVars(this::debugVarsJson);
    new IntrospectionPage(introspection(live)).register(adminBuilder);
    DebugEndpoints.register(adminBuilder);
    admin = adminBuilder.start();
    telemetry =
        AdminServer.builder()
            .address(
                security.telemetryAddress() == null ? options.grpcAddress() : security.telemetryAddress(),
                options.telemetryPort())
            .registry(telemetryRegistry)
            .readiness(() -> !closed.get())
            .start();

    log.info(
        "offpath serving config {} (version {}): grpc={}{} ({} event loops) admin={} telemetry={}",
        source.describe(),
        store.current().version(),
        grpcPort(),
        tls == null ? "" : " (TLS" + (security.tls().clientCaFile() == null ? ")" : ", mTLS)"),
        transport,
        adminPort(),
        telemetryPort());
  }

  /** The page's live series, sampled once a second on the scheduler thread. */
  private LiveStats liveStats(DecisionCounts counted) {
    CheckLatency latency = new CheckLatency(registry);
    LiveStats live =
        new LiveStats(
            new LiveStats.Source() {
              @Override
              public long checks() {
                return counted.checks();
              }

              @Override
              public long denials() {
                return counted.denials();
              }

              @Override
              public long reportEntries() {
                return reports.received();
              }

              @Override
              public LiveStats.Histogram checkLatency() {
                return latency.get();
              }
            });
    Ticker ticker = Ticker.system();
    scheduler.scheduleAtFixedRate(
        () -> live.sample(ticker.nanoTime(), System.currentTimeMillis()), 0, 1, TimeUnit.SECONDS);
    return live;
  }

  private Introspection introspection(LiveStats live) {
    return new Introspection(
        new Introspection.Parts(
            store,
            checkCache,
            options.checkCacheSize(),
            reports,
            registry,
            loads,
            live,
            source.describe(),
            startedAt,
            Clock.systemUTC(),
            this::processFacts));
  }

  /** The facts the introspection page shows beside the JVM's. */
  private Map<String, Object> processFacts() {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("version", version());
    facts.put("grpcAddress", options.grpcAddress() + ":" + (grpc == null ? -1 : grpc.getPort()));
    facts.put("grpcTransport", transport == null ? "" : transport.toString());
    facts.put("adminAddress", options.adminAddress() + ":" + (admin == null ? options.adminPort() : admin.port()));
    facts.put("reportWorkers", options.reportWorkers());
    facts.put("tracing", options.tracing().toString());
    facts.put("checkDecoding", options.lazyCheckRequests() ? "lazy" : "parsed");
    return facts;
  }

  /** The jar's version ({@code Implementation-Version}), or {@code dev} when run from classes. */
  public static String version() {
    String v = OffpathServer.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /**
   * The live policy, behind the check cache unless it is turned off, with the decision log (and the
   * dry-run counters) listening to every decision.
   */
  private Decider decider() {
    DecisionLog listener =
        DecisionLog.start(
            options.decisionLog(), registry, Clock.systemUTC(), () -> ThreadLocalRandom.current().nextDouble());
    decisionLog = listener;
    if (options.checkCacheSize() == 0) {
      return new ListeningDecider(store, listener);
    }
    CheckCache cache =
        CheckCache.builder(Ticker.system()).maximumEntries(options.checkCacheSize()).build();
    CheckCacheMetrics.register(cache, registry);
    checkCache = cache;
    return new CachingDecider(store, cache, listener, tracer);
  }

  /**
   * Reloads the config from its source: a transaction. A config that fails validation, or whose
   * handlers cannot start, is logged and counted, and the live snapshot keeps serving with its
   * handlers untouched. Returns success. Serialised with the first load and with itself.
   */
  public boolean reload() {
    synchronized (reloadLock) {
      if (closed.get() || !store.hasConfig()) {
        return false; // the first load failed or is yet to come: it reads the files itself
      }
      long serving = store.current().version();
      try {
        install(source.load());
        return true;
      } catch (ConfigException e) {
        mixerMetrics.configRejected(e.errors());
        loads.rejected(serving, e.errors().stream().map(ConfigError::toString).toList());
        log.error(
            "config reload rejected ({} error(s)); still serving version {}:\n{}",
            e.errors().size(),
            serving,
            e.getMessage());
      } catch (IOException | UncheckedIOException e) {
        mixerMetrics.configRejected(List.of());
        loads.rejected(serving, List.of(e.toString()));
        log.error("config reload failed; still serving version {}: {}", serving, e.toString());
      }
      return false;
    }
  }

  /** Installs a loaded config; a handler that cannot start rejects it whole. */
  private void install(ConfigSource.Loaded loaded) throws ConfigException {
    PolicyConfig config = loaded.policy();
    PolicyEngine engine = store.install(config);
    for (ConfigWarning w : config.warnings()) {
      log.warn("{}", w);
    }
    controlPlane.publish(loaded.proxy());
    mixerMetrics.configLoaded(config, engine.version());
    loads.accepted(engine.version());
    log.info(
        "config version {} live: {} rules, {} handlers, {} instances",
        engine.version(),
        config.rules().size(),
        config.handlers().size(),
        config.instances().size());
  }

  public PolicyStore store() {
    return store;
  }

  public ControlPlane controlPlane() {
    return controlPlane;
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** The mesh metrics served on the telemetry port (the prometheus adapter's registry). */
  public PrometheusRegistry telemetryRegistry() {
    return telemetryRegistry;
  }

  /** Where front doors hand requests for telemetry (ext_proc); never blocks, counts its drops. */
  public ReportSink reportSink() {
    return reports;
  }

  /** The report pipeline behind {@link #reportSink()}, for its counters. */
  public ReportPipeline reportPipeline() {
    return reports;
  }

  /** The gRPC port's TLS, or null when it is plaintext. */
  public @Nullable ServerTls tls() {
    return tls;
  }

  public int grpcPort() {
    return requireNonNull(grpc, "grpc").getPort();
  }

  public int adminPort() {
    return requireNonNull(admin, "admin").port();
  }

  public int telemetryPort() {
    return requireNonNull(telemetry, "telemetry").port();
  }

  /** The live config as JSON for {@code /config}: objects, expressions and sources, no params. */
  String configJson() {
    PolicyEngine engine = store.current();
    PolicyConfig c = engine.config();
    ObjectNode root = json.createObjectNode();
    root.put("version", engine.version());
    root.put("source", source.describe());
    ObjectNode handlers = root.putObject("handlers");
    for (HandlerConfig h : c.handlers().values()) {
      ObjectNode n = handlers.putObject(h.name());
      n.put("adapter", h.adapter().name());
      n.put("source", h.source().toString());
      RemoteHandlerJson.describe(n, h.adapterConfig());
    }
    ObjectNode instances = root.putObject("instances");
    for (InstanceConfig i : c.instances().values()) {
      ObjectNode n = instances.putObject(i.name());
      n.put("template", i.template());
      ObjectNode fields = n.putObject("fields");
      i.fields().forEach((k, v) -> fields.put(k, v.text()));
      n.put("source", i.source().toString());
    }
    ArrayNode rules = root.putArray("rules");
    var hits = engine.ruleHits();
    for (RuleConfig r : c.rules()) {
      ObjectNode n = rules.addObject();
      n.put("name", r.name());
      n.put("match", r.match() == null ? "" : r.match().text());
      n.put("hits", hits.getOrDefault(r.name(), 0L));
      ArrayNode actions = n.putArray("actions");
      for (Action a : r.actions()) {
        ObjectNode an = actions.addObject();
        an.put("handler", a.handler().name());
        ArrayNode in = an.putArray("instances");
        a.instances().forEach(i -> in.add(i.name()));
      }
      n.put("source", r.source().toString());
    }
    ArrayNode warnings = root.putArray("warnings");
    c.warnings().forEach(w -> warnings.add(w.toString()));
    return root.toPrettyString();
  }

  /** Process facts for {@code /debug/vars}. */
  String debugVarsJson() {
    ObjectNode root = json.createObjectNode();
    Runtime rt = Runtime.getRuntime();
    root.put("startedAt", startedAt.toString());
    root.put("uptimeSeconds", Duration.between(startedAt, Instant.now()).toSeconds());
    root.put("pid", ProcessHandle.current().pid());
    root.put("javaVersion", Runtime.version().toString());
    root.put("availableProcessors", rt.availableProcessors());
    root.put("heapUsedBytes", rt.totalMemory() - rt.freeMemory());
    root.put("heapMaxBytes", rt.maxMemory());
    root.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
    root.put("configVersion", store.hasConfig() ? store.current().version() : 0);
    root.put("configSource", source.describe());
    root.put("grpcPort", grpc == null ? -1 : grpc.getPort());
    root.put("grpcTransport", transport == null ? "" : transport.kind());
    root.put("grpcTls", tls == null ? "off" : ServerTls.provider());
    root.put("grpcEventLoops", transport == null ? 0 : transport.threads());
    root.put("reportWorkers", options.reportWorkers());
    root.put("reportQueue", options.reportQueue());
    root.put("checkDecoding", options.lazyCheckRequests() ? "lazy" : "parsed");
    return root.toPrettyString();
  }

  /** Blocks until the gRPC server has terminated. */
  public void awaitTermination() throws InterruptedException {
    if (grpc != null) {
      grpc.awaitTermination();
    }
  }

  /** Graceful stop: stop accepting, drain calls in flight (up to the grace period), then stop. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    health.enterTerminalState();
    if (watcher != null) {
      watcher.close();
    }
    if (grpc != null) {
      grpc.shutdown();
      // Access-log streams never end on their own: complete them after their current message.
      accessLog.drain();
      try {
        if (!grpc.awaitTermination(options.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn("gRPC calls still running after {}; cancelling them", options.shutdownGrace());
          grpc.shutdownNow();
          grpc.awaitTermination(1, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        grpc.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    accessLog.drain();
    if (decisionLog != null) {
      decisionLog.close();
    }
    if (transport != null) {
      transport.close();
    }
    if (!reports.close(options.shutdownGrace())) {
      log.warn("report pipeline not flushed within {}; the rest is counted as dropped", options.shutdownGrace());
    }
    if (admin != null) {
      admin.close();
    }
    if (telemetry != null) {
      telemetry.close();
    }
    if (tls != null) {
      tls.close();
    }
    store.close();
    scheduler.shutdownNow();
    if (tracing != null) {
      tracing.close();
    }
    log.info("offpath stopped");
  }
}
