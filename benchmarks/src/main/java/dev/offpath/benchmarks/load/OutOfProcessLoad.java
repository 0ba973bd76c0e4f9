package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import dev.offpath.benchmarks.load.LoadOptions.Phase;
import dev.offpath.benchmarks.remote.InstanceEncodingBenchmark;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Out-of-process adapters under load ({@code benchmarks/load.sh --oop}): two Offpath JVMs started
 * by this run, measured by the same client in rounds that alternate them (so that other load on the
 * machine lands on both alike), reported as ratios.
 *
 * <ul>
 *   <li>{@code builtin}: the load driver's policy (twenty rules: eighteen built-in {@code denier}s,
 *       an IP blacklist, a user-agent whitelist, a per-user memquota) and Istio 1.0's metrics on
 *       the built-in prometheus adapter;
 *   <li>{@code oop}: the same policy plus one rule on every Check to an out-of-process handler of
 *       Istio's {@code checknothing} template, and Istio's prometheus adapter run out of process
 *       ({@code template-metric}, {@code prometheus-nosession}, {@code metricsoop}, {@code
 *       prometheusoop} from Mixer's reference data, the address replaced): two {@code metric}
 *       instances per entry ({@code requestcount}, {@code requestsize}).
 * </ul>
 *
 * <p>Both handlers point at one {@link LoadAdapter}, a do-little gRPC adapter in this JVM that
 * answers checks OK valid 10 s / 10,000 uses, so the check cache works as designed, and counts
 * metric instances exactly. Phases ({@code --phases}): {@code capacity} (the open-loop capacity
 * search of each, steps alternating) and {@code closed} (a closed loop, {@code --rounds} slices
 * each) for the Check path, with the adapter's check calls counted; {@code ingest} ({@code
 * --ingest-entries} per round over {@code --ingest-streams} streams as fast as flow control
 * allows): {@code builtin} counted by {@code istio_requests_total}, {@code oop} counted at the
 * adapter (instances received = 2 × entries sent, or the round is NOT EXACT), after {@value
 * IngestRounds#WARM_UP} full-size warm-up rounds of each, the 300k entries/s target judged on the
 * median round (as {@link IstioConfigIngest} does). Other phases are ignored. The report goes to
 * {@code --results} as {@code oop-<date>.txt} and {@code oop-latest.txt}.
 */
public final class OutOfProcessLoad {

  private static final double INGEST_TARGET = 300_000;
  /** Instances per entry of {@code metricsoop.yaml}: requestcount and requestsize. */
  private static final int INSTANCES_PER_ENTRY = 2;
  private static final List<String> OOP_FILES =
      List.of("template-checknothing.yaml", "template-metric.yaml", "prometheus-nosession.yaml",
          "metricsoop.yaml");

  private final LoadOptions options;
  private final Progress progress;
  private final PhaseSteps steps;
  private final List<String> report = new ArrayList<>();

  OutOfProcessLoad(LoadOptions options, Progress progress) {
    this.options = requireNonNull(options, "options");
    this.progress = requireNonNull(progress, "progress");
    this.steps = new PhaseSteps(this.options, this.progress);
  }

  public static void main(String[] args) throws Exception {
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.print(
          "benchmarks/load.sh --oop [flags]: Check capacity (phases capacity, closed) and access-log"
              + " ingest (phase ingest) with out-of-process adapters against the built-in ones,"
              + " alternating; the flags are the load driver's:\n"
              + LoadOptions.USAGE);
      return;
    }
    LoadOptions options;
    try {
      options = LoadOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("load driver --oop: " + e.getMessage());
      System.exit(2);
      return;
    }
    Files.createDirectories(options.results());
    Path oopReference = InstanceEncodingBenchmark.reference().resolve("oop");
    Path configs = Files.createTempDirectory("offpath-oop-load");
    String loadAtStart = MachineFacts.loadAverage();
    try (LoadAdapter adapter =
            new LoadAdapter(
                InstanceEncodingBenchmark.template("checknothing"),
                InstanceEncodingBenchmark.template("metric"));
        Progress progress = new Progress(System.out)) {
      List<Path> builtin = Servers.writePolicy(Files.createDirectories(configs.resolve("builtin")));
      List<Path> oop = oopConfig(Files.createDirectories(configs.resolve("oop")), oopReference, adapter.port());
      progress.message("out-of-process adapter on 127.0.0.1:" + adapter.port());
      try (ServerProcess b =
              Servers.startOffpath(
                  options, builtin, progress, "offpath-builtin",
                  options.results().resolve("offpath-builtin-server.log"));
          ServerProcess o =
              Servers.startOffpath(
                  options, oop, progress, "offpath-oop",
                  options.results().resolve("offpath-oop-server.log"))) {
        OutOfProcessLoad run = new OutOfProcessLoad(options, progress);
        run.report.add("Out-of-process adapters vs built-in (benchmarks/load.sh --oop): " + Instant.now());
        run.report.addAll(MachineFacts.machine(loadAtStart));
        run.report.addAll(options.describe());
        run.report.add("offpath-builtin: " + b.describe());
        run.report.add("offpath-oop: " + o.describe());
        run.report.add("adapter: in the driver's JVM (gRPC on loopback, Netty threads)");
        run.report.add("");
        run.checks(b, o, adapter);
        run.ingest(b, o, adapter);
        String text = String.join("\n", run.report) + "\n";
        Path written = write(text, options.results());
        System.out.println();
        System.out.print(text);
        System.out.println("wrote " + written);
      }
    } finally {
      deleteTree(configs);
    }
  }

  /**
   * The {@code oop} server's config: the load policy, Istio's out-of-process objects (the
   * prometheus handler's address replaced) and the out-of-process check rule.
   */
  static List<Path> oopConfig(Path dir, Path reference, int port) throws IOException {
    List<Path> out = new ArrayList<>();
    List<Path> policy = Servers.writePolicy(dir);
    out.add(policy.get(0));
    Files.delete(policy.get(1)); // Istio's metrics go out of process here
    for (String f : OOP_FILES) {
      out.add(Files.copy(reference.resolve(f), dir.resolve(f)));
    }
    String handler = Files.readString(reference.resolve("prometheusoop.yaml"));
    if (!handler.contains("prometheusadapter:8080")) {
      throw new IllegalStateException("prometheusoop.yaml: no address prometheusadapter:8080 to replace");
    }
    out.add(
        Files.writeString(
            dir.resolve("prometheusoop.yaml"),
            handler.replace("prometheusadapter:8080", "127.0.0.1:" + port)));
    out.add(Files.writeString(dir.resolve("oop-check.yaml"), checkRule(port)));
    return out;
  }

  /** A {@code kind: adapter} serving {@code checknothing}, its handler, instance and rule. */
  static String checkRule(int port) {
    return """
        # The load driver's out-of-process check (dev.offpath.benchmarks.load.OutOfProcessLoad):
        # every Check asks the adapter, through the check cache.
        apiVersion: config.istio.io/v1alpha2
        kind: adapter
        metadata: {name: loadcheck, namespace: istio-system}
        spec:
          description: the load driver's do-little check adapter
          session_based: false
          templates: [checknothing]
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: oopcheck, namespace: istio-system}
        spec:
          adapter: loadcheck
          connection: {address: "127.0.0.1:%d"}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: oopnothing, namespace: istio-system}
        spec: {template: checknothing, params: {}}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: oopcheck, namespace: istio-system}
        spec:
          actions:
          - handler: oopcheck.handler
            instances: [oopnothing.instance]
        """
        .formatted(port);
  }

  /** The Check phases (capacity, closed), alternating builtin and oop. */
  void checks(Target builtin, Target oop, LoadAdapter adapter)
      throws InterruptedException {
    boolean capacity = options.runs(Phase.CAPACITY);
    boolean closed = options.runs(Phase.CLOSED);
    if (!capacity && !closed) {
      return;
    }
    List<CheckRequest> requests = CheckTraffic.requests(options.requests(), options.users());
    Servers.verifyPolicy(builtin, requests, ChannelSecurity.PLAINTEXT);
    Servers.verifyPolicy(oop, requests, ChannelSecurity.PLAINTEXT);
    if (adapter.checkCalls.sum() == 0) {
      throw new IllegalStateException("offpath-oop answered Checks without calling the adapter");
    }
    byte[][] encoded = PreEncoded.encode(requests);
    try (CheckClient toBuiltin =
            new CheckClient(ChannelSecurity.PLAINTEXT, builtin.grpcPort(), options.connections(), encoded);
        CheckClient toOop =
            new CheckClient(ChannelSecurity.PLAINTEXT, oop.grpcPort(), options.connections(), encoded)) {
      toBuiltin.closedLoop("warm-up", builtin, options.concurrency(), options.warmup(), progress);
      toOop.closedLoop("warm-up", oop, options.concurrency(), options.warmup(), progress);
      LoadDriver.ensureAlive("warm-up", builtin, oop);
      if (capacity) {
        CapacitySearch sb = steps.newSearch();
        CapacitySearch so = steps.newSearch();
        long calls = adapter.checkCalls.sum();
        long checks = 0;
        while (!sb.done() || !so.done()) {
          steps.step(sb, toBuiltin, builtin);
          checks += steps.step(so, toOop, oop);
          LoadDriver.ensureAlive("capacity", builtin, oop);
        }
        calls = adapter.checkCalls.sum() - calls;
        report.add(
            String.format(
                Locale.ROOT,
                "Check capacity (open loop): builtin %,.0f checks/s, oop %,.0f checks/s; oop/builtin %s;"
                    + " adapter calls during oop's steps: %,d for %,d checks",
                sb.capacity(), so.capacity(), LatencySummary.ratio(so.capacity(), sb.capacity()),
                calls, checks));
      }
      if (closed) {
        PhaseResult rb = null;
        PhaseResult ro = null;
        long calls = adapter.checkCalls.sum();
        Duration slice = options.maxDuration().dividedBy(options.rounds());
        for (int r = 0; r < options.rounds(); r++) {
          rb = steps.merge(rb, toBuiltin.closedLoop("max-throughput", builtin, options.concurrency(), slice, progress));
          ro = steps.merge(ro, toOop.closedLoop("max-throughput", oop, options.concurrency(), slice, progress));
          LoadDriver.ensureAlive("closed", builtin, oop);
        }
        calls = adapter.checkCalls.sum() - calls;
        requireNonNull(rb);
        requireNonNull(ro);
        report.add(
            String.format(
                Locale.ROOT,
                "Check closed loop (%s): builtin %,.0f checks/s (%s, errors %d), oop %,.0f checks/s"
                    + " (%s, errors %d); oop/builtin %s; adapter calls: %,d for %,d checks",
                rb.mode(), rb.throughput(), rb.latency().format(), rb.errors(), ro.throughput(),
                ro.latency().format(), ro.errors(),
                LatencySummary.ratio(ro.throughput(), rb.throughput()), calls, ro.sent()));
      }
    }
  }

  /** The ingest phase: rounds alternating builtin (mesh metrics) and oop (counted at the adapter). */
  void ingest(Target builtin, Target oop, LoadAdapter adapter)
      throws IOException, InterruptedException {
    if (!options.runs(Phase.INGEST)) {
      return;
    }
    LoadDriver driver = new LoadDriver(options, progress);
    MeshMetrics mesh = new MeshMetrics(builtin.telemetryPort());
    EntryCount atAdapter = adapter.entries(INSTANCES_PER_ENTRY);
    long[] sent = new long[2];
    long[] nanos = new long[2];
    List<List<Double>> rates = List.of(new ArrayList<>(), new ArrayList<>());
    boolean exact = true;
    for (int round = IngestRounds.first(); round <= options.rounds(); round++) {
      for (int v = 0; v < 2; v++) {
        Target target = v == 0 ? builtin : oop;
        long instancesBefore = adapter.metricInstances.sum();
        LoadReport.Ingest r;
        try (LogClient logs = new LogClient(target.grpcPort(), options.entriesPerMessage())) {
          r = driver.ingest(
              IngestRounds.label(round) + (v == 0 ? "builtin" : "oop"), logs, target,
              v == 0 ? mesh::requestsTotal : atAdapter, options.ingestEntries());
        }
        LoadDriver.ensureAlive("ingest", target);
        long instances = adapter.metricInstances.sum() - instancesBefore;
        boolean ok = r.exact() && (v == 0 ? instances == 0 : instances == INSTANCES_PER_ENTRY * r.sent());
        exact &= ok;
        if (round > 0) {
          sent[v] += r.sent();
          nanos[v] += r.elapsedNanos();
          rates.get(v).add(r.rate());
          report.add(
              String.format(
                  Locale.ROOT,
                  "ingest round %d %-7s %,9.0f entries/s  %,d sent, %,.0f counted%s%s, %.1f ms CPU per 1000 entries",
                  round, v == 0 ? "builtin" : "oop", r.rate(), r.sent(), r.counted(),
                  v == 0 ? "" : String.format(Locale.ROOT, " (%,d instances at the adapter)", instances),
                  ok ? "" : " NOT EXACT",
                  r.cpuNanos() < 0 ? Double.NaN : r.cpuNanos() / 1e6 / (r.sent() / 1000.0)));
        }
      }
    }
    double rb = sent[0] * 1e9 / nanos[0];
    double ro = sent[1] * 1e9 / nanos[1];
    double mb = IngestRounds.median(rates.get(0));
    double mo = IngestRounds.median(rates.get(1));
    report.add(
        String.format(
            Locale.ROOT,
            "ingest median round: builtin %,.0f entries/s, oop %,.0f entries/s; oop/builtin %s;"
                + " oop target >= 300k/s (median round): %s",
            mb, mo, LatencySummary.ratio(mo, mb), mo >= INGEST_TARGET ? "met" : "NOT met"));
    report.add(
        String.format(
            Locale.ROOT,
            "ingest over all rounds: builtin %,.0f entries/s, oop %,.0f entries/s; oop/builtin %s; %s",
            rb, ro, LatencySummary.ratio(ro, rb),
            exact
                ? "every entry counted, warm-ups included (oop: 2 instances per entry at the adapter)"
                : "NOT EXACT: see the rounds"));
  }

  /** The report's lines so far. */
  List<String> lines() {
    return List.copyOf(report);
  }

  /** Writes the report as {@code oop-<date>.txt} and {@code oop-latest.txt}; returns the first. */
  private static Path write(String text, Path dir) throws IOException {
    String stamp =
        DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
    Path file = dir.resolve("oop-" + stamp + ".txt");
    Files.writeString(file, text);
    Files.copy(file, dir.resolve("oop-latest.txt"), StandardCopyOption.REPLACE_EXISTING);
    return file;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
