package dev.offpath.server;

import dev.offpath.core.adapter.Params;
import dev.offpath.core.config.ConfigException;
import dev.offpath.server.tls.TlsOptions;
import dev.offpath.server.decisions.DecisionLogOptions;
import dev.offpath.server.tracing.TracingOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code offpath serve}: runs the server until SIGTERM/SIGINT, then stops gracefully. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Serve ext_authz, ext_proc and ADS (and admin/metrics) from Mixer config.")
final class ServeCommand implements Callable<Integer> {

  @Option(
      names = "--config",
      paramLabel = "PATH",
      description = "Config file or directory (repeatable). Default: the embedded default config.")
  List<Path> config = new ArrayList<>();

  @Option(names = "--grpc-address", defaultValue = "0.0.0.0", description = "gRPC bind address (default: ${DEFAULT-VALUE}).")
  String grpcAddress;

  @Option(names = "--grpc-port", defaultValue = "9091", description = "gRPC port for Envoy (default: ${DEFAULT-VALUE}; 0 picks one).")
  int grpcPort;

  @Option(names = "--admin-address", defaultValue = "127.0.0.1", description = "Admin HTTP bind address (default: ${DEFAULT-VALUE}).")
  String adminAddress;

  @Option(names = "--admin-port", defaultValue = "9093", description = "Admin HTTP port: /metrics, /healthz, /readyz, /config, /debug/vars (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(names = "--telemetry-port", defaultValue = "42422", description = "Mesh metrics port of the prometheus adapter (default: ${DEFAULT-VALUE}).")
  int telemetryPort;

  @Option(names = "--max-message-bytes", defaultValue = "1048576", description = "Largest gRPC message accepted (default: ${DEFAULT-VALUE}).")
  int maxMessageBytes;

  @Option(names = "--fail-open", description = "Allow requests whose decision failed (instance build error, handler failure) instead of denying them with INTERNAL.")
  boolean failOpen;

  @Option(names = "--check-cache-size", defaultValue = "10000", description = "Entries in the check cache (default: ${DEFAULT-VALUE}; 0 turns it off).")
  int checkCacheSize;

  @Option(names = "--shutdown-grace", defaultValue = "10s", description = "How long calls in flight may finish on shutdown (default: ${DEFAULT-VALUE}).")
  String shutdownGrace;

  @Spec CommandSpec spec;

  @Option(names = "--no-watch", description = "Do not reload the config when its files change.")
  boolean noWatch;

  @Option(names = "--event-loop-threads", defaultValue = "0", description = "gRPC transport threads; Check and access-log calls run on them (default: one per core).")
  int eventLoopThreads;

  @Option(names = "--report-workers", defaultValue = "" + ServerOptions.DEFAULT_REPORT_WORKERS, description = "Threads dispatching telemetry to the report adapters (default: ${DEFAULT-VALUE}).")
  int reportWorkers;

  @Option(names = "--report-queue", defaultValue = "" + ServerOptions.DEFAULT_REPORT_QUEUE, description = "Access-log entries queued for dispatch, at most; a full queue slows the streams down (default: ${DEFAULT-VALUE}).")
  int reportQueue;

  // --- Security (README "Security"): TLS, admin exposure, connection limits. ---

  @Option(names = "--tls-cert-file", paramLabel = "PEM", description = "Certificate chain (PEM) of the gRPC port; with --tls-key-file turns TLS on (TLS 1.2+, ALPN h2). Watched: a rewrite rotates it without restart.")
  @Nullable Path tlsCertFile;

  @Option(names = "--tls-key-file", paramLabel = "PEM", description = "Private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC) of --tls-cert-file.")
  @Nullable Path tlsKeyFile;

  @Option(names = "--tls-client-ca-file", paramLabel = "PEM", description = "CA certificates (PEM) client certificates must chain to: requires client certificates (mTLS).")
  @Nullable Path tlsClientCaFile;

  @Option(names = "--tls-allowed-client-san", paramLabel = "SAN", description = "A client certificate URI or DNS SAN allowed to call, exact or a prefix ending in * (repeatable; default: any the CA vouches for).")
  List<String> tlsAllowedClientSans = new ArrayList<>();

  @Option(names = "--admin-token-file", paramLabel = "FILE", description = "Bearer token the admin port requires (all but /healthz and /readyz); needed, with TLS, when --admin-address is not loopback.")
  @Nullable Path adminTokenFile;

  @Option(names = "--telemetry-address", paramLabel = "ADDRESS", description = "Bind address of the telemetry port (default: the --grpc-address).")
  @Nullable String telemetryAddress;

  @Option(names = "--max-concurrent-streams", defaultValue = "1000", description = "Concurrent gRPC calls per connection (default: ${DEFAULT-VALUE}).")
  int maxConcurrentStreams;

  @Option(names = "--max-connection-age", defaultValue = "30m", description = "A connection older than this gets GOAWAY, so clients re-balance (default: ${DEFAULT-VALUE}; 0 never).")
  String maxConnectionAge;

  @Option(names = "--max-connection-age-grace", defaultValue = "1m", description = "Time calls in flight get after --max-connection-age (default: ${DEFAULT-VALUE}).")
  String maxConnectionAgeGrace;

  @Option(names = "--permit-keepalive-time", defaultValue = "10s", description = "Shortest interval between a client's pings; more often is a strike, and a ping flood closes the connection (default: ${DEFAULT-VALUE}).")
  String permitKeepAliveTime;

  @Option(names = "--max-connection-idle", defaultValue = "1h", description = "A connection without calls this long is closed (default: ${DEFAULT-VALUE}; 0 never).")
  String maxConnectionIdle;

  @Option(names = "--max-rst-streams-per-second", defaultValue = "1000", description = "RST_STREAM frames a connection may send per second, averaged over 10 s (HTTP/2 rapid reset; default: ${DEFAULT-VALUE}; 0 no limit).")
  int maxRstStreamsPerSecond;

  /** The security flags as one value; throws IllegalArgumentException with the flag's name. */
  SecurityOptions security() {
    ConnectionLimits limits =
        new ConnectionLimits(
            maxConcurrentStreams,
            flagDuration("--max-connection-age", maxConnectionAge),
            flagDuration("--max-connection-age-grace", maxConnectionAgeGrace),
            flagDuration("--permit-keepalive-time", permitKeepAliveTime),
            flagDuration("--max-connection-idle", maxConnectionIdle),
            maxRstStreamsPerSecond);
    return new SecurityOptions(
        TlsOptions.fromFlags(tlsCertFile, tlsKeyFile, tlsClientCaFile, tlsAllowedClientSans),
        adminTokenFile,
        telemetryAddress,
        limits);
  }

  private static java.time.Duration flagDuration(String flag, String value) {
    if (value.equals("0")) {
      return java.time.Duration.ZERO;
    }
    try {
      return Params.parseDuration(value);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(flag + ": " + value + " (expected: a duration such as 30s, 5m, 1h, or 0)");
    }
  }

  /** Logging is asynchronous (logback.xml): stopping the context writes out what is queued. */
  private static void flushLogs() {
    if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
      context.stop();
    }
  }

  @Option(names = "--decision-log", paramLabel = "stdout|stderr|PATH", description = "Write one JSON line per decision (ext_authz and ext_proc) to stdout, stderr or a file (rotated at 100 MB, as the stdio adapter's). Default: no decision log.")
  @Nullable String decisionLog;

  @Option(names = "--decision-log-sample", paramLabel = "RATE", defaultValue = "1", description = "Share of allowed decisions logged, 0..1; denials and dry-run denials are always logged (default: ${DEFAULT-VALUE}).")
  double decisionLogSample;

  @Option(names = "--decision-log-redact", paramLabel = "NAME", description = "Attribute whose values the decision log replaces with [redacted] (repeatable): a whole attribute (request.headers) or one map key (request.headers[authorization]).")
  List<String> decisionLogRedact = new ArrayList<>();

  @Option(names = "--decision-log-queue", defaultValue = "" + DecisionLogOptions.DEFAULT_QUEUE_CAPACITY, description = "Decisions waiting for the decision log's writer, at most; beyond it they are dropped and counted, never waited for (default: ${DEFAULT-VALUE}).")
  int decisionLogQueue;

  @Option(names = "--trace-zipkin-url", paramLabel = "URL", description = "Send trace spans to this Zipkin v2 endpoint, e.g. http://zipkin:9411/api/v2/spans (default: not sent).")
  String traceZipkinUrl;

  @Option(names = "--trace-sample-rate", paramLabel = "RATE", defaultValue = "0", description = "Share of Checks and report batches traced when the request carries no sampling decision, 0..1 (default: ${DEFAULT-VALUE}: only requests Envoy sampled).")
  double traceSampleRate;

  @Option(names = "--trace-log-spans", description = "Log every finished span (logger dev.offpath.trace).")
  boolean traceLogSpans;

  @Option(names = "--check-decoding", paramLabel = "lazy|parsed", defaultValue = "lazy", description = "How ext_authz reads a CheckRequest: lazy (default: kept as its bytes, a field decoded when a rule first reads it) or parsed (protobuf-java parses the whole request first).")
  String checkDecoding;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    OffpathServer server;
    try {
      ServerOptions options =
          new ServerOptions(
              config,
              grpcAddress,
              grpcPort,
              adminAddress,
              adminPort,
              telemetryPort,
              maxMessageBytes,
              failOpen,
              checkCacheSize,
              Params.parseDuration(shutdownGrace),
              !noWatch,
              eventLoopThreads,
              reportWorkers,
              reportQueue,
              security(),
              new DecisionLogOptions(
                  decisionLog, decisionLogSample, decisionLogRedact, decisionLogQueue),

              TracingOptions.of(traceZipkinUrl, traceSampleRate, traceLogSpans),
              switch (checkDecoding) {
                case "lazy" -> true;
                case "parsed" -> false;
                default ->
                    throw new IllegalArgumentException(
                        "--check-decoding: " + checkDecoding + " (expected: lazy or parsed)");
              });
      server = OffpathServer.start(options);
    } catch (IllegalArgumentException e) {
      err.println("offpath serve: " + e.getMessage());
      err.flush();
      return 2;
    } catch (ConfigException e) {
      err.println(e.getMessage());
      err.println("offpath: config invalid (" + e.errors().size() + " error(s)); not starting");
      err.flush();
      return 1;
    } catch (IOException e) {
      err.println("offpath serve: " + e);
      err.flush();
      return 1;
    } catch (UncheckedIOException e) {
      // the decision log's file cannot be opened
      err.println("offpath serve: " + e.getMessage() + ": " + e.getCause());
      err.flush();
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  flushLogs();
                  stopped.countDown();
                },
                "offpath-shutdown"));
    server.awaitTermination();
    stopped.await();
    return 0;
  }
}
