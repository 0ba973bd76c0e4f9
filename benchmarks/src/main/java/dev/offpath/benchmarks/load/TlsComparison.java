package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import dev.offpath.benchmarks.load.LoadOptions.Phase;
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
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The Check phases of the load driver over TLS ({@code benchmarks/load.sh --tls}): Offpath with
 * TLS on its gRPC port against the same Offpath in plaintext, each in its own JVM started by this
 * run with the same policy and flags, measured by the same client in rounds that alternate the two
 * (so that other load on the machine lands on both alike) and reported as TLS / plaintext ratios.
 *
 * <p>The certificates are made at run time ({@link TlsFiles}: a CA and an EC P-256 server
 * certificate for 127.0.0.1, by the {@code openssl} CLI, into a temporary directory deleted at the
 * end); Offpath gets {@code --tls-cert-file} and {@code --tls-key-file}, the client trusts the CA
 * and verifies the server's name. No client certificate (mTLS costs one more signature per
 * handshake, and the client holds its few connections for the whole run, as Envoy does, so the
 * handshakes are not what is measured; the record layer is).
 *
 * <p>The do-nothing baseline of {@link LoadDriver} is not started: the question here is what TLS
 * costs Offpath, and the plaintext Offpath is the baseline that answers it; a third server JVM
 * would only take memory and CPU from the two on a small machine.
 *
 * <p>Phases ({@code --phases}, of capacity, closed and fixed; others are ignored, with a message):
 * {@code capacity}, the open-loop capacity search of each ({@link CapacitySearch}), steps
 * alternating; {@code closed}, a closed loop against each; {@code fixed}, p99 at a fixed rate
 * ({@code --fixed-rate}, or half the plaintext capacity) with the server CPU per 1000 checks. The
 * report goes to {@code --results} as {@code tls-<date>.txt} and {@code tls-latest.txt}.
 */
public final class TlsComparison {

  static final Set<Phase> CHECK_PHASES = EnumSet.of(Phase.CAPACITY, Phase.CLOSED, Phase.FIXED);

  private final LoadOptions options;
  private final Progress progress;
  private final PhaseSteps steps;

  TlsComparison(LoadOptions options, Progress progress) {
    this.options = requireNonNull(options, "options");
    this.progress = requireNonNull(progress, "progress");
    this.steps = new PhaseSteps(this.options, this.progress);
  }

  public static void main(String[] args) throws Exception {
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.print(
          "benchmarks/load.sh --tls [flags]: the Check phases (capacity, closed, fixed) of Offpath"
              + " over TLS against Offpath in plaintext, alternating; the flags are the load"
              + " driver's:\n"
              + LoadOptions.USAGE);
      return;
    }
    LoadOptions options;
    try {
      options = LoadOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("load driver --tls: " + e.getMessage());
      System.exit(2);
      return;
    }
    Set<Phase> phases = EnumSet.noneOf(Phase.class);
    for (Phase p : options.phases()) {
      if (CHECK_PHASES.contains(p)) {
        phases.add(p);
      }
    }
    if (phases.isEmpty()) {
      System.err.println(
          "load driver --tls: --phases " + options.phaseList()
              + " has none of capacity, closed, fixed (the phases run over TLS)");
      System.exit(2);
      return;
    }
    if (!Files.isRegularFile(options.offpathJar())) {
      System.err.println("load driver --tls: no Offpath jar at " + options.offpathJar());
      System.exit(2);
      return;
    }
    Files.createDirectories(options.results());
    Path configs = Files.createTempDirectory("offpath-tls-load");
    List<Path> policy = Servers.writePolicy(configs);
    TlsFiles tls = TlsFiles.generate(Files.createTempDirectory("offpath-tls-certs"));
    ChannelSecurity secure = ChannelSecurity.tls(tls.caCert());
    try (Progress progress = new Progress(System.out)) {
      if (!phases.equals(options.phases())) {
        progress.message(
            "--tls runs only the Check phases: " + phaseList(phases) + " of " + options.phaseList());
      }
      try (ServerProcess plain =
              Servers.startOffpath(
                  options, policy, progress, "offpath-plaintext",
                  options.results().resolve("offpath-plaintext-server.log"));
          ServerProcess overTls =
              Servers.startOffpath(
                  options, policy, progress, "offpath-tls",
                  options.results().resolve("offpath-tls-server.log"),
                  List.of(
                      "--tls-cert-file", tls.serverCert().toString(),
                      "--tls-key-file", tls.serverKey().toString()),
                  secure)) {
        Report report = new TlsComparison(options, progress).run(phases, plain, overTls, secure);
        String text = report.render();
        Path written = write(text, report.date(), options.results());
        System.out.println();
        System.out.print(text);
        System.out.println();
        System.out.println("wrote " + written);
      }
    } finally {
      for (Path p : policy) {
        Files.deleteIfExists(p);
      }
      Files.deleteIfExists(configs);
      tls.delete();
    }
  }

  /** What one run measured; a phase not run is null. */
  record Report(
      Instant date,
      List<String> machine,
      List<String> options,
      String plaintextServer,
      String tlsServer,
      String clientTls,
      LoadReport.@Nullable Capacity capacityPlain,
      LoadReport.@Nullable Capacity capacityTls,
      @Nullable PhaseResult closedPlain,
      @Nullable PhaseResult closedTls,
      double fixedRate,
      @Nullable PhaseResult fixedPlain,
      @Nullable PhaseResult fixedTls) {

    String render() {
      StringBuilder out = new StringBuilder();
      out.append("Offpath over TLS vs Offpath in plaintext (benchmarks/load.sh --tls)\n");
      out.append("date: ").append(date).append('\n');
      for (String line : machine) {
        out.append(line).append('\n');
      }
      for (String line : options) {
        out.append(line).append('\n');
      }
      out.append("offpath-plaintext: ").append(plaintextServer).append('\n');
      out.append("offpath-tls: ").append(tlsServer).append('\n');
      out.append("client over TLS: ").append(clientTls).append("; no client certificate\n\n");
      if (capacityPlain != null && capacityTls != null) {
        out.append(
            String.format(
                Locale.ROOT,
                "capacity (open loop): plaintext %,.0f checks/s, TLS %,.0f checks/s; TLS/plaintext %s%n",
                capacityPlain.rate(),
                capacityTls.rate(),
                LatencySummary.ratio(capacityTls.rate(), capacityPlain.rate())));
      }
      if (closedPlain != null && closedTls != null) {
        out.append(
            String.format(
                Locale.ROOT,
                "closed loop (%s): plaintext %,.0f checks/s, TLS %,.0f checks/s; TLS/plaintext %s%n",
                closedPlain.mode(),
                closedPlain.throughput(),
                closedTls.throughput(),
                LatencySummary.ratio(closedTls.throughput(), closedPlain.throughput())));
      }
      if (fixedPlain != null && fixedTls != null) {
        out.append(String.format(Locale.ROOT, "fixed rate %,.0f checks/s (open loop):%n", fixedRate));
        out.append("  plaintext: ").append(line(fixedPlain)).append('\n');
        out.append("  TLS:       ").append(line(fixedTls)).append('\n');
        out.append(
            String.format(
                Locale.ROOT,
                "  TLS/plaintext: p50 %s, p99 %s, CPU per check %s%n",
                LatencySummary.ratio(fixedTls.latency().p50(), fixedPlain.latency().p50()),
                LatencySummary.ratio(fixedTls.latency().p99(), fixedPlain.latency().p99()),
                fixedPlain.cpuMillisPer1000() <= 0 || fixedTls.cpuMillisPer1000() < 0
                    ? "n/a"
                    : LatencySummary.ratio(fixedTls.cpuMillisPer1000(), fixedPlain.cpuMillisPer1000())));
      }
      return out.toString();
    }

    private static String line(PhaseResult r) {
      return String.format(
          Locale.ROOT,
          "%,.0f checks/s, %s, errors %d%s%s",
          r.throughput(),
          r.latency().format(),
          r.errors(),
          r.cpuMillisPer1000() < 0 ? "" : String.format(Locale.ROOT, ", CPU %.1f ms/1000 checks", r.cpuMillisPer1000()),
          r.firstError() == null ? "" : " (first error: " + r.firstError() + ")");
    }
  }

  Report run(Set<Phase> phases, Target plain, Target overTls, ChannelSecurity secure)
      throws InterruptedException {
    List<CheckRequest> requests = CheckTraffic.requests(options.requests(), options.users());
    Servers.verifyPolicy(plain, requests, ChannelSecurity.PLAINTEXT);
    Servers.verifyPolicy(overTls, requests, secure);
    byte[][] encoded = PreEncoded.encode(requests);
    Instant date = Instant.now();
    String loadAtStart = MachineFacts.loadAverage();
    try (CheckClient toPlain =
            new CheckClient(ChannelSecurity.PLAINTEXT, plain.grpcPort(), options.connections(), encoded);
        CheckClient toTls = new CheckClient(secure, overTls.grpcPort(), options.connections(), encoded)) {
      toPlain.closedLoop("warm-up", plain, options.concurrency(), options.warmup(), progress);
      toTls.closedLoop("warm-up", overTls, options.concurrency(), options.warmup(), progress);
      LoadDriver.ensureAlive("warm-up", plain, overTls);

      LoadReport.Capacity capacityPlain = null;
      LoadReport.Capacity capacityTls = null;
      if (phases.contains(Phase.CAPACITY)) {
        CapacitySearch searchPlain = steps.newSearch();
        CapacitySearch searchTls = steps.newSearch();
        while (!searchPlain.done() || !searchTls.done()) {
          steps.step(searchPlain, toPlain, plain);
          steps.step(searchTls, toTls, overTls);
          LoadDriver.ensureAlive("capacity", plain, overTls);
        }
        capacityPlain = new LoadReport.Capacity(searchPlain.capacity(), searchPlain.steps());
        capacityTls = new LoadReport.Capacity(searchTls.capacity(), searchTls.steps());
        progress.message(
            String.format(
                Locale.ROOT,
                "capacity (open loop): plaintext %,.0f checks/s, TLS %,.0f checks/s",
                capacityPlain.rate(),
                capacityTls.rate()));
      }

      int rounds = options.rounds();
      PhaseResult closedPlain = null;
      PhaseResult closedTls = null;
      if (phases.contains(Phase.CLOSED)) {
        Duration slice = options.maxDuration().dividedBy(rounds);
        for (int r = 0; r < rounds; r++) {
          closedPlain =
              steps.merge(closedPlain, toPlain.closedLoop("max-throughput", plain, options.concurrency(), slice, progress));
          closedTls =
              steps.merge(closedTls, toTls.closedLoop("max-throughput", overTls, options.concurrency(), slice, progress));
          LoadDriver.ensureAlive("closed", plain, overTls);
        }
      }

      double fixedRate =
          options.fixedRate() > 0
              ? options.fixedRate()
              : capacityPlain == null
                  ? 0
                  : Math.max(1, (capacityPlain.rate() > 0 ? capacityPlain.rate() : options.stepStart()) / 2);
      PhaseResult fixedPlain = null;
      PhaseResult fixedTls = null;
      if (phases.contains(Phase.FIXED)) {
        Duration slice = options.fixedDuration().dividedBy(rounds);
        for (int r = 0; r < rounds; r++) {
          fixedPlain = steps.merge(fixedPlain, toPlain.openLoop("fixed-rate", plain, fixedRate, slice, progress));
          fixedTls = steps.merge(fixedTls, toTls.openLoop("fixed-rate", overTls, fixedRate, slice, progress));
          LoadDriver.ensureAlive("fixed", plain, overTls);
        }
      }
      List<String> described = new ArrayList<>(options.describe());
      described.removeIf(line -> line.startsWith("access logs:") || line.startsWith("phases:"));
      described.add("phases: " + phaseList(phases));
      if (options.fixedRate() == 0 && fixedPlain != null) {
        described.add("fixed rate: half the plaintext capacity");
      }
      return new Report(
          date,
          MachineFacts.machine(loadAtStart),
          described,
          plain.describe(),
          overTls.describe(),
          secure.toString(),
          capacityPlain,
          capacityTls,
          closedPlain,
          closedTls,
          fixedRate,
          fixedPlain,
          fixedTls);
    } finally {
      progress.show(null);
    }
  }

  private static String phaseList(Set<Phase> phases) {
    return String.join(",", phases.stream().map(Phase::flag).toList());
  }

  /** Writes the report as {@code tls-<date>.txt} and {@code tls-latest.txt}; returns the first. */
  static Path write(String text, Instant date, Path dir) throws IOException {
    Files.createDirectories(dir);
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(date);
    Path file = dir.resolve("tls-" + stamp + ".txt");
    Files.writeString(file, text);
    Files.copy(file, dir.resolve("tls-latest.txt"), StandardCopyOption.REPLACE_EXISTING);
    return file;
  }
}
