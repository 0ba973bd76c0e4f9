package dev.offpath.benchmarks.load;

import dev.offpath.benchmarks.Resources;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The servers every load run starts and checks: the load policy's config files, the baseline and
 * Offpath each in a JVM of its own on fresh loopback ports ({@link ServerProcess}), ready once they
 * answer a Check (a start that dies is retried once), and a check that Offpath decides the load's
 * requests as the policy says. Shared by {@link LoadDriver} and the comparison runs ({@code --tls},
 * {@code --check-compare}, {@code --oop}, {@code --istio-ingest}).
 */
final class Servers {

  private static final String POLICY = "offpath-policy.yaml";
  private static final String TELEMETRY = "/dev/offpath/benchmarks/telemetry/istio-telemetry.yaml";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  private Servers() {}

  /** Offpath's config files: the load policy and Istio 1.0's default metrics. */
  static List<Path> writePolicy(Path dir) throws IOException {
    Path policy = dir.resolve(POLICY);
    Path telemetry = dir.resolve("istio-telemetry.yaml");
    Files.writeString(policy, resource(POLICY));
    Files.writeString(telemetry, resource(TELEMETRY));
    return List.of(policy, telemetry);
  }

  static String resource(String name) {
    return Resources.text(Servers.class, name);
  }

  static ServerProcess startBaseline(LoadOptions options, Progress progress)
      throws IOException, InterruptedException {
    return startReady(
        () -> {
          int port = ServerProcess.freePort();
          return ServerProcess.start(
              "baseline",
              baselineCommand(options.serverJvmOptions(), options.serverCpus(), port),
              port,
              -1,
              options.results().resolve("baseline-server.log"));
        },
        progress);
  }

  /** The command that runs {@link BaselineServer} from this classpath on {@code port}. */
  static List<String> baselineCommand(List<String> jvmOptions, String cpus, int port) {
    List<String> command = ServerProcess.javaCommand(jvmOptions, cpus);
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            BaselineServer.class.getName(),
            Integer.toString(port)));
    return command;
  }

  /** Offpath on the load policy, its output in {@code offpath-server.log} under the results. */
  static ServerProcess startOffpath(
      LoadOptions options, List<Path> config, Progress progress)
      throws IOException, InterruptedException {
    return startOffpath(
        options, config, progress, "offpath", options.results().resolve("offpath-server.log"));
  }

  /** Starts Offpath serving {@code config}, its stdout and stderr to {@code output}. */
  static ServerProcess startOffpath(
      LoadOptions options, List<Path> config, Progress progress, String name, Path output)
      throws IOException, InterruptedException {
    return startOffpath(options, config, progress, name, output, List.of(), ChannelSecurity.PLAINTEXT);
  }

  /**
   * Starts Offpath serving {@code config} with {@code extraArgs} after the driver's (TLS flags,
   * say), its stdout and stderr to {@code output}; readiness is probed as {@code security} says.
   */
  static ServerProcess startOffpath(
      LoadOptions options,
      List<Path> config,
      Progress progress,
      String name,
      Path output,
      List<String> extraArgs,
      ChannelSecurity security)
      throws IOException, InterruptedException {
    return startReady(
        () -> {
          int grpc = ServerProcess.freePort();
          int admin = ServerProcess.freePort();
          int telemetry = ServerProcess.freePort();
          List<String> command =
              ServerProcess.javaCommand(options.serverJvmOptions(), options.serverCpus());
          command.addAll(List.of("-jar", options.offpathJar().toString(), "serve"));
          for (Path p : config) {
            command.addAll(List.of("--config", p.toString()));
          }
          command.addAll(
              List.of(
                  "--grpc-address", "127.0.0.1",
                  "--grpc-port", Integer.toString(grpc),
                  "--admin-port", Integer.toString(admin),
                  "--telemetry-port", Integer.toString(telemetry),
                  "--no-watch"));
          command.addAll(options.offpathArgs());
          command.addAll(extraArgs);
          return ServerProcess.start(name, command, grpc, telemetry, output);
        },
        progress,
        security);
  }

  /** Starts one server process, on fresh ports each time. */
  interface Launch {
    ServerProcess start() throws IOException;
  }

  /**
   * Starts a server and waits until it answers a Check. A server that exits during its start is
   * reported (status, signal, whether the driver stopped it: it had not) and started once more,
   * its first log kept beside the new one when the log is a file (not /dev/null or a named pipe):
   * Offpath has been seen, about once in six runs, to exit with SIGTERM's status 143 just after
   * binding, the signal not from this driver. Any other failure stops the server and fails with the
   * end of its log.
   */
  static ServerProcess startReady(Launch launch, Progress progress)
      throws IOException, InterruptedException {
    return startReady(launch, progress, ChannelSecurity.PLAINTEXT);
  }

  /** {@link #startReady(Launch, Progress)}, probing the server as {@code security} says. */
  static ServerProcess startReady(Launch launch, Progress progress, ChannelSecurity security)
      throws IOException, InterruptedException {
    ServerProcess p = launch.start();
    try {
      return awaitReady(p, progress, security);
    } catch (ExitedAtStart e) {
      progress.message(String.valueOf(e.getMessage()));
      if (Files.isRegularFile(p.log())) {
        String logName = p.log().getFileName().toString();
        Path failed = p.log().resolveSibling(logName.replace(".log", ".failed-start.log"));
        Files.move(p.log(), failed, StandardCopyOption.REPLACE_EXISTING);
        progress.message(
            "starting " + p.name() + " once more (the failed start's log is " + failed + ")");
      } else {
        // /dev/null, or a named pipe whose reader takes the next start's output too
        progress.message("starting " + p.name() + " once more");
      }
      return awaitReady(launch.start(), progress, security);
    }
  }

  /** Waits until the server answers a Check; stops it and fails with the end of its log if not. */
  private static ServerProcess awaitReady(
      ServerProcess p, Progress progress, ChannelSecurity security) throws InterruptedException {
    try {
      probe(p, progress, security);
    } catch (RuntimeException | InterruptedException e) {
      p.close();
      throw e;
    }
    p.ready();
    p.onUnexpectedExit(report -> progress.message("!! " + report));
    return p;
  }

  /** A server process that exited before it answered its first Check. */
  private static final class ExitedAtStart extends IllegalStateException {
    ExitedAtStart(ServerProcess p) {
      super(p.exitReport() + "; end of its log:\n" + p.logTail());
    }
  }

  private static void probe(ServerProcess p, Progress progress, ChannelSecurity security)
      throws InterruptedException {
    progress.message("starting " + p.name() + " (pid " + p.pid() + ")");
    CheckRequest probe = CheckTraffic.requests(1, 1).get(0);
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      if (!p.isAlive()) {
        throw new ExitedAtStart(p);
      }
      // A channel per attempt: one that was refused backs off its reconnects (up to two minutes),
      // so a server that binds late (a busy machine: 45 s has been seen) would look unready.
      ManagedChannel channel = security.channel(p.grpcPort(), false);
      try {
        AuthorizationGrpc.newBlockingStub(channel)
            .withDeadlineAfter(2, TimeUnit.SECONDS)
            .check(probe);
        progress.message(p.name() + " ready on 127.0.0.1:" + p.grpcPort());
        return;
      } catch (StatusRuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              p.name() + " not ready after " + READY_TIMEOUT + ": " + e + "\n" + p.logTail(), e);
        }
        Thread.sleep(100);
      } finally {
        channel.shutdownNow();
      }
    }
  }

  /** Offpath must allow the allowed requests and deny the denied ones, or the run measures nothing. */
  static void verifyPolicy(Target offpath, List<CheckRequest> requests, ChannelSecurity security) {
    ManagedChannel channel = security.channel(offpath.grpcPort(), false);
    try {
      AuthorizationGrpc.AuthorizationBlockingStub stub =
          AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      for (int i = 0; i < Math.min(requests.size(), CheckTraffic.DENIED_EVERY); i++) {
        CheckResponse r = stub.check(requests.get(i));
        boolean allowed = r.getStatus().getCode() == 0;
        if (allowed == CheckTraffic.denied(i)) {
          throw new IllegalStateException(
              "offpath " + (allowed ? "allowed" : "denied") + " load request " + i
                  + " (expected the opposite): " + r.getStatus());
        }
      }
    } finally {
      channel.shutdownNow();
    }
  }
}
