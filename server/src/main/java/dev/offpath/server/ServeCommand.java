package dev.offpath.server;

import dev.offpath.core.adapter.Params;
import dev.offpath.core.config.ConfigException;
import dev.offpath.server.tracing.TracingOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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

  @Option(names = "--trace-zipkin-url", paramLabel = "URL", description = "Send trace spans to this Zipkin v2 endpoint, e.g. http://zipkin:9411/api/v2/spans (default: not sent).")
  String traceZipkinUrl;

  @Option(names = "--trace-sample-rate", paramLabel = "RATE", defaultValue = "0", description = "Share of Checks and report batches traced when the request carries no sampling decision, 0..1 (default: ${DEFAULT-VALUE}: only requests Envoy sampled).")
  double traceSampleRate;

  @Option(names = "--trace-log-spans", description = "Log every finished span (logger dev.offpath.trace).")
  boolean traceLogSpans;

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
              TracingOptions.of(traceZipkinUrl, traceSampleRate, traceLogSpans));
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
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "offpath-shutdown"));
    server.awaitTermination();
    stopped.await();
    return 0;
  }
}
