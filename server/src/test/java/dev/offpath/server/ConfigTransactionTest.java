package dev.offpath.server;

import static dev.offpath.server.AccessLogFixtures.http;
import static dev.offpath.server.AccessLogFixtures.httpMessage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.telemetry.DropReason;
import dev.offpath.core.telemetry.ReportPipeline;
import dev.offpath.core.testing.Await;
import dev.offpath.core.testing.ConfigMapVolume;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads as transactions and clean handovers, through a real server: a reload whose handler
 * cannot start changes nothing and leaks nothing; old snapshots are closed only when no work holds
 * them, so counts stay exact across reloads under load; ConfigMap swaps and edits made during
 * start-up are served.
 */
class ConfigTransactionTest {

  /** A memquota of 3 units per path per hour, and a denier on /admin (message %s). */
  static final String QUOTA_AND_DENIER =
      """
      apiVersion: config.istio.io/v1alpha2
      kind: memquota
      metadata: {name: handler, namespace: istio-system}
      spec:
        quotas:
        - name: requestcount.quota.istio-system
          maxAmount: 3
          validDuration: 1h
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: quota
      metadata: {name: requestcount, namespace: istio-system}
      spec:
        dimensions:
          path: request.path | "/"
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: rule
      metadata: {name: quota, namespace: istio-system}
      spec:
        actions:
        - handler: handler.memquota
          instances: [requestcount.quota]
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: denier
      metadata: {name: deny, namespace: istio-system}
      spec:
        status: {code: 7, message: "%s"}
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: checknothing
      metadata: {name: nothing, namespace: istio-system}
      spec: {}
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: rule
      metadata: {name: deny, namespace: istio-system}
      spec:
        match: request.path == "/admin"
        actions:
        - handler: deny.denier
          instances: [nothing.checknothing]
      """;

  @TempDir Path dir;
  private ServerHarness harness;
  private HttpServer lists;

  @AfterEach
  void stop() throws Exception {
    if (harness != null) {
      harness.close();
    }
    if (lists != null) {
      lists.stop(0);
    }
  }

  private int code(String path) {
    return harness.check("request.path", path).getStatus().getCode();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    Await.until(what, Duration.ofSeconds(30), condition);
  }

  private static long openFiles() throws Exception {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  private static Set<Thread> threads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .collect(Collectors.toSet());
  }

  /** Threads started since {@code before}, except the HTTP client's pool the test itself uses. */
  private static List<String> newThreads(Set<Thread> before) {
    return threads().stream()
        .filter(t -> !before.contains(t))
        .map(Thread::getName)
        .filter(name -> !name.startsWith("HttpClient-") || name.contains("SelectorManager"))
        .sorted()
        .toList();
  }

  /** A list provider on loopback, so that a list handler really starts a fetcher. */
  private String listProvider() throws Exception {
    lists = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    lists.createContext(
        "/list",
        exchange -> {
          byte[] body = "alice\n".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    lists.start();
    return "http://127.0.0.1:" + lists.getAddress().getPort() + "/list";
  }

  @Test
  void aReloadWhoseHandlerCannotStartIsCountedLeaksNothingAndKeepsHandlerState() throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, QUOTA_AND_DENIER.formatted("no admin"));
    harness = ServerHarness.start(ServerHarness.options(List.of(file), false));
    assertThat(code("/a")).isZero();
    assertThat(code("/a")).isZero(); // 2 of the 3 units of /a spent

    // Warm what a reload touches once, so that the counts below see only what the attempt leaks.
    Files.writeString(file, QUOTA_AND_DENIER.formatted("no admin, really"));
    assertThat(harness.server.reload()).isTrue();
    String provider = listProvider();
    harness.metrics(); // the test's own HTTP client and server threads start before the baseline
    Set<Thread> threadsBefore = threads();
    long filesBefore = openFiles();

    Path notADirectory = Files.writeString(dir.resolve("plain-file"), "");
    String broken =
        QUOTA_AND_DENIER.formatted("changed")
            + """
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: listchecker
            metadata: {name: users, namespace: istio-system}
            spec:
              providerUrl: %s
              refreshInterval: 1s
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: stdio
            metadata: {name: log, namespace: istio-system}
            spec:
              logStream: FILE
              outputPath: %s/access.log
            """
                .formatted(provider, notADirectory);
    Files.writeString(file, broken);
    for (int i = 0; i < 5; i++) {
      assertThat(harness.server.reload()).isFalse();
    }
    // What the attempts started (five list fetchers with their HTTP clients) is gone again.
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!newThreads(threadsBefore).isEmpty() && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    assertThat(newThreads(threadsBefore)).isEmpty();
    await("open files back to " + filesBefore, () -> uncheckedOpenFiles() <= filesBefore);

    assertThat(harness.server.store().current().version()).isEqualTo(2);
    String metrics = harness.metrics();
    assertThat(metrics)
        .contains("offpath_config_reload_total{result=\"failure\"} 5.0")
        .contains("offpath_config_reload_total{result=\"success\"} 2.0")
        .contains("mixer_config_handler_validation_error_count_total 5.0");
    // The live handlers kept their state: /a has one unit left, and the denier its message.
    assertThat(code("/a")).isZero();
    assertThat(code("/a")).isEqualTo(8);
    assertThat(harness.check("request.path", "/admin").getStatus().getMessage())
        .isEqualTo("deny.denier.istio-system:no admin, really");
  }

  private static long uncheckedOpenFiles() {
    try {
      return openFiles();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aHandlerThatCannotStartRefusesTheStartOnOneLineAndExitsOne() throws Exception {
    Path notADirectory = Files.writeString(dir.resolve("plain-file"), "");
    Path file = dir.resolve("policy.yaml");
    Files.writeString(
        file,
        """
        apiVersion: config.istio.io/v1alpha2
        kind: stdio
        metadata: {name: log, namespace: istio-system}
        spec:
          logStream: FILE
          outputPath: %s/access.log
        """
            .formatted(notADirectory));
    assertThatThrownBy(() -> ServerHarness.start(ServerHarness.options(List.of(file), false)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(file + ":1: handler 'log.stdio.istio-system': cannot start: ");

    CliTest.Result r =
        CliTest.run("serve", "--config", file.toString(), "--grpc-port", "0", "--admin-port", "0",
            "--telemetry-port", "0", "--no-watch");
    assertThat(r.exit()).isEqualTo(1);
    List<String> lines = r.err().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith(file + ":1: handler 'log.stdio.istio-system': cannot start: ");
    assertThat(lines.get(1)).isEqualTo("offpath: config invalid (1 error(s)); not starting");
    assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
  }

  @Test
  void validateAndServeReportTheSameErrors() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(
        file,
        QUOTA_AND_DENIER.formatted("x").replace("deny.denier", "missing.denier")
            + """
            ---
            apiVersion: offpath.dev/v1alpha1
            kind: EnvoyProxy
            metadata: {name: edge}
            spec: {listener: {port: 0}}
            """);
    CliTest.Result validate = CliTest.run("validate", dir.toString());
    assertThat(validate.exit()).isEqualTo(1);
    ConfigException serve =
        (ConfigException)
            org.assertj.core.api.Assertions.catchThrowable(
                () -> ServerHarness.start(ServerHarness.options(List.of(dir), false)));
    List<String> served = serve.errors().stream().map(Object::toString).toList();
    assertThat(served).hasSizeGreaterThanOrEqualTo(2);
    List<String> validated = validate.err().lines().toList();
    assertThat(validated.subList(0, validated.size() - 1)).containsExactlyElementsOf(served);
  }

  @Test
  void aConfigMapSwapWhileChecksRunIsPickedUpWithNoFailedCheck() throws Exception {
    Path visible =
        ConfigMapVolume.write(
            dir,
            "..2026_12_05_08_00_00.000000001",
            "policy.yaml",
            ConfigReloadTest.DENY_ADMIN.formatted("v1", "/admin"));
    harness = ServerHarness.start(ServerHarness.options(List.of(dir), true));
    assertThat(harness.server.store().current().config().handlers()).hasSize(1);
    assertThat(code("/admin")).isEqualTo(7);

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong checks = new AtomicLong();
    List<Throwable> failures = new ArrayList<>();
    AtomicInteger unexpected = new AtomicInteger();
    CompletableFuture<Void> load =
        CompletableFuture.runAsync(
            () -> {
              while (running.get()) {
                try {
                  int c = code("/admin");
                  if (c != 7 && c != 0) {
                    unexpected.incrementAndGet();
                  }
                  checks.incrementAndGet();
                } catch (RuntimeException e) {
                  synchronized (failures) {
                    failures.add(e);
                  }
                }
              }
            });
    await("checks flowing", () -> checks.get() > 50);
    ConfigMapVolume.write(
        dir,
        "..2026_12_05_09_00_00.000000002",
        "policy.yaml",
        ConfigReloadTest.DENY_ADMIN.formatted("v2", "/debug"));
    await("version 2", () -> harness.server.store().current().version() >= 2);
    long atSwap = checks.get();
    await("checks after the swap", () -> checks.get() > atSwap + 50);
    running.set(false);
    load.get(30, TimeUnit.SECONDS);

    assertThat(failures).isEmpty();
    assertThat(unexpected).hasValue(0);
    assertThat(visible).exists();
    assertThat(harness.server.store().current().version()).isEqualTo(2);
    assertThat(code("/admin")).isZero();
    assertThat(code("/debug")).isEqualTo(7);
  }

  @Test
  void anEditMadeWhileTheServerStartsIsServed() throws Exception {
    String gated =
        QUOTA_AND_DENIER
            + """
            ---
            apiVersion: config.istio.io/v1alpha2
            kind: gate
            metadata: {name: slow, namespace: istio-system}
            spec: {id: start-up-edit}
            """;
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, gated.formatted("before"));
    GateAdapter.Gate gate = GateAdapter.install("start-up-edit");
    try {
      CompletableFuture<ServerHarness> starting =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return ServerHarness.start(ServerHarness.options(List.of(dir), true));
                } catch (Exception e) {
                  throw new AssertionError(e);
                }
              });
      // The first load has read the files and is starting handlers: edit now.
      assertThat(gate.started.await(30, TimeUnit.SECONDS)).isTrue();
      GateAdapter.remove("start-up-edit"); // later loads pass the gate at once
      Files.writeString(file, gated.formatted("after"));
      gate.open.countDown();
      harness = starting.get(30, TimeUnit.SECONDS);
    } finally {
      GateAdapter.remove("start-up-edit");
    }
    await("the edit served", () -> harness.server.store().current().version() >= 2);
    assertThat(harness.check("request.path", "/admin").getStatus().getMessage())
        .isEqualTo("deny.denier.istio-system:after");
  }

  @Test
  void aHundredReloadsUnderAccessLogLoadKeepCountsExactAndLoseNoLine() throws Exception {
    Path file = dir.resolve("telemetry.yaml");
    Path logs = Files.createDirectories(dir.resolve("logs"));
    String telemetry =
        """
        apiVersion: config.istio.io/v1alpha2
        kind: logentry
        metadata: {name: accesslog, namespace: istio-system}
        spec:
          severity: '"Info"'
          variables:
            code: response.code | 0
            round: '"%1$d"'
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: stdio
        metadata: {name: log, namespace: istio-system}
        spec:
          outputAsJson: true
          logStream: FILE
          outputPath: %2$s/access-%1$d.log
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: log, namespace: istio-system}
        spec:
          actions:
          - handler: log.stdio
            instances: [accesslog.logentry]
        """;
    Files.writeString(file, telemetry.formatted(0, logs));
    harness = ServerHarness.start(ServerHarness.options(List.of(file), false));

    int streams = 4;
    int messages = 250;
    int perMessage = 20;
    List<HTTPAccessLogEntry> entries = new ArrayList<>();
    for (int i = 0; i < perMessage; i++) {
      entries.add(http(AccessLogFixtures.REVIEWS, 200));
    }
    List<CompletableFuture<Void>> senders = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      senders.add(
          CompletableFuture.runAsync(
              () -> {
                try {
                  AccessLogFixtures.Client client = new AccessLogFixtures.Client(harness.accessLog);
                  for (int m = 0; m < messages; m++) {
                    client.requests.onNext(httpMessage(m == 0, entries));
                  }
                  client.finish();
                } catch (InterruptedException e) {
                  throw new AssertionError(e);
                }
              }));
    }
    // Every reload moves the stdio handler to a new file: a new handler, the old one retired.
    for (int round = 1; round <= 100; round++) {
      Files.writeString(file, telemetry.formatted(round, logs));
      assertThat(harness.server.reload()).isTrue();
    }
    for (CompletableFuture<Void> sender : senders) {
      sender.get(60, TimeUnit.SECONDS);
    }
    long sent = (long) streams * messages * perMessage;
    ReportPipeline pipeline = harness.server.reportPipeline();
    await("everything dispatched", () -> pipeline.dispatched() + dropped(pipeline) >= sent);
    assertThat(pipeline.received()).isEqualTo(sent);
    assertThat(pipeline.dispatched() + dropped(pipeline) + pipeline.depth()).isEqualTo(sent);
    assertThat(dropped(pipeline)).isZero();
    assertThat(harness.server.store().current().version()).isEqualTo(101);

    harness.close(); // closes the live handler too: every line flushed
    harness = null;
    long lines = 0;
    try (Stream<Path> files = Files.list(logs)) {
      for (Path log : files.toList()) {
        try (Stream<String> l = Files.lines(log)) {
          lines += l.count();
        }
      }
    }
    assertThat(lines).isEqualTo(sent);
  }

  private static long dropped(ReportPipeline pipeline) {
    long total = 0;
    for (DropReason reason : DropReason.values()) {
      total += pipeline.dropped(reason);
    }
    return total;
  }
}
