package dev.offpath.server;

import static java.util.Objects.requireNonNull;

import dev.offpath.server.decisions.DecisionLogOptions;
import dev.offpath.server.tracing.TracingOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything {@code offpath serve} is told. An empty {@code configPaths} means the embedded default
 * config. Port 0 picks a free port. {@code checkCacheSize} 0 turns the check cache off. {@code
 * eventLoopThreads} 0 means one per core; {@code reportWorkers} and {@code reportQueue} size the
 * telemetry pipeline. {@code security}: TLS, admin token, telemetry address, connection limits;
 * {@code decisionLog} configures the decision log.
 * {@code tracing} is {@link TracingOptions#OFF} unless spans are exported. {@code
 * lazyCheckRequests} (the default) keeps each ext_authz {@code CheckRequest} as its bytes and decodes
 * a field on first read; false parses it with protobuf-java ({@code --check-decoding parsed}).
 */
public record ServerOptions(
    List<Path> configPaths,
    String grpcAddress,
    int grpcPort,
    String adminAddress,
    int adminPort,
    int telemetryPort,
    int maxMessageBytes,
    boolean failOpen,
    int checkCacheSize,
    Duration shutdownGrace,
    boolean watchConfig,
    int eventLoopThreads,
    int reportWorkers,
    int reportQueue,
    SecurityOptions security,
    DecisionLogOptions decisionLog,

    TracingOptions tracing,
    boolean lazyCheckRequests) {

  /** The telemetry pipeline's defaults: 2 workers, 10,000 queued entries. */
  public static final int DEFAULT_REPORT_WORKERS = 2;

  public static final int DEFAULT_REPORT_QUEUE = 10_000;

  /** The options with lazy {@code CheckRequest} decoding, the default. */
  public ServerOptions(
      List<Path> configPaths,
      String grpcAddress,
      int grpcPort,
      String adminAddress,
      int adminPort,
      int telemetryPort,
      int maxMessageBytes,
      boolean failOpen,
      int checkCacheSize,
      Duration shutdownGrace,
      boolean watchConfig,
      int eventLoopThreads,
      int reportWorkers,
      int reportQueue,
      SecurityOptions security,
      DecisionLogOptions decisionLog,
      TracingOptions tracing) {
    this(
        configPaths,
        grpcAddress,
        grpcPort,
        adminAddress,
        adminPort,
        telemetryPort,
        maxMessageBytes,
        failOpen,
        checkCacheSize,
        shutdownGrace,
        watchConfig,
        eventLoopThreads,
        reportWorkers,
        reportQueue,
        security,
        decisionLog,
        tracing,
        true);
  }

  /** A copy with {@code lazyCheckRequests} set. */
  public ServerOptions withLazyCheckRequests(boolean lazy) {
    return new ServerOptions(
        configPaths,
        grpcAddress,
        grpcPort,
        adminAddress,
        adminPort,
        telemetryPort,
        maxMessageBytes,
        failOpen,
        checkCacheSize,
        shutdownGrace,
        watchConfig,
        eventLoopThreads,
        reportWorkers,
        reportQueue,
        security,
        decisionLog,
        tracing,
        lazy);
  }

  public ServerOptions {
    configPaths = List.copyOf(configPaths);
    requireNonNull(grpcAddress, "grpcAddress");
    requireNonNull(adminAddress, "adminAddress");
    requireNonNull(shutdownGrace, "shutdownGrace");
    requireNonNull(security, "security");
    requireNonNull(decisionLog, "decisionLog");
    requireNonNull(tracing, "tracing");
    checkPort("grpcPort", grpcPort);
    checkPort("adminPort", adminPort);
    checkPort("telemetryPort", telemetryPort);
    if (checkCacheSize < 0) {
      throw new IllegalArgumentException("checkCacheSize: " + checkCacheSize + " (expected: >= 0)");
    }
    if (eventLoopThreads < 0) {
      throw new IllegalArgumentException(
          "eventLoopThreads: " + eventLoopThreads + " (expected: >= 0, 0 for one per core)");
    }
    if (reportWorkers <= 0) {
      throw new IllegalArgumentException("reportWorkers: " + reportWorkers + " (expected: > 0)");
    }
    if (reportQueue <= 0) {
      throw new IllegalArgumentException("reportQueue: " + reportQueue + " (expected: > 0)");
    }
    if (maxMessageBytes <= 0) {
      throw new IllegalArgumentException("maxMessageBytes: " + maxMessageBytes + " (expected: > 0)");
    }
  }

  private static void checkPort(String name, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + ": " + port + " (expected: 0..65535)");
    }
  }
}
