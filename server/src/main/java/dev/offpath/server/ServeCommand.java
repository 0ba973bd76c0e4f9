package dev.offpath.server;

import dev.offpath.core.adapter.Params;
import dev.offpath.core.config.ConfigException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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

  @Option(names = "--no-watch", description = "Do not reload the config when its files change.")
  boolean noWatch;

  @Override
  public Integer call() throws InterruptedException {
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
              !noWatch);
      server = OffpathServer.start(options);
    } catch (IllegalArgumentException e) {
      System.err.println("offpath serve: " + e.getMessage());
      return 2;
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      System.err.println("offpath: config invalid (" + e.errors().size() + " error(s)); not starting");
      return 1;
    } catch (IOException e) {
      System.err.println("offpath serve: " + e);
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
