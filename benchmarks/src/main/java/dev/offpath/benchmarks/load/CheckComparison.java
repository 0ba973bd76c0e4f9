package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import dev.offpath.benchmarks.load.LoadOptions.Phase;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Check path's variants in one run ({@code benchmarks/load.sh --check-compare}): the do-nothing
 * baseline; Offpath with the twenty-rule load policy reading requests lazily (the default);
 * the same Offpath parsing them ({@code --check-decoding parsed}); and Offpath lazily with the
 * policy grown to {@code --rule-count} rules ({@link RulePolicy}, default 2,000). Each server has its
 * own JVM; each phase alternates them, so other load on the machine lands on all alike, and every
 * figure is reported with its ratio to the baseline's.
 *
 * <p>Clients ({@code --client java|h2load|both}, default both when {@code h2load} is on the PATH):
 * the driver's Java client runs the phases named in {@code --phases} of capacity (the open-loop
 * search, steps alternating), closed and fixed (p99 at half the baseline's capacity, or {@code
 * --fixed-rate}); {@link H2Load} runs the closed loop, {@code --connections} connections × {@code
 * --concurrency / --connections} streams, {@code --rounds} slices of {@code --max-duration} per
 * server, one request (the load's request 0, allowed) repeated. h2load's successes are HTTP
 * successes; before its rounds a call with the same bytes must come back gRPC OK and allowed from
 * every server, and Offpath's own {@code grpc_server_handled_total} for Check must have grown by
 * at least the requests h2load completed, all OK.
 *
 * <p>The report goes to {@code --results} as {@code checks-<date>.txt} and {@code
 * checks-latest.txt}.
 */
public final class CheckComparison {

  /** A server under test and, for Offpath, its admin port (its /metrics). */
  record Variant(String name, ServerProcess server, int adminPort) {}

  private final LoadOptions options;
  private final Progress progress;
  private final PhaseSteps steps;

  CheckComparison(LoadOptions options, Progress progress) {
    this.options = requireNonNull(options, "options");
    this.progress = requireNonNull(progress, "progress");
    this.steps = new PhaseSteps(this.options, this.progress);
  }

  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(List.of(args));
    if (rest.contains("--help") || rest.contains("-h")) {
      System.out.print(
          "benchmarks/load.sh --check-compare [--client java|h2load|both] [--rule-count N] [flags]:"
              + " baseline, Offpath lazy, Offpath parsed and Offpath with N rules (default 2000),"
              + " alternating; the other flags are the load driver's:\n"
              + LoadOptions.USAGE);
      return;
    }
    String client = take(rest, "--client", H2Load.find() == null ? "java" : "both");
    int ruleCount = Integer.parseInt(take(rest, "--rule-count", "2000"));
    LoadOptions options;
    try {
      if (!List.of("java", "h2load", "both").contains(client)) {
        throw new IllegalArgumentException("--client: " + client + " (expected: java, h2load or both)");
      }
      options = LoadOptions.parse(rest.toArray(String[]::new));
    } catch (IllegalArgumentException e) {
      System.err.println("load driver --check-compare: " + e.getMessage());
      System.exit(2);
      return;
    }
    Path h2load = H2Load.find();
    if (!client.equals("java") && h2load == null) {
      System.err.println(
          "load driver --check-compare: --client " + client
              + " needs h2load on the PATH (Debian package nghttp2-client)");
      System.exit(2);
      return;
    }
    Files.createDirectories(options.results());
    Path configs = Files.createTempDirectory("offpath-check-compare");
    List<Path> policy = Servers.writePolicy(configs);
    Path many = configs.resolve("offpath-policy-" + ruleCount + ".yaml");
    Files.writeString(many, RulePolicy.withRules(Files.readString(policy.get(0)), ruleCount));
    List<Path> manyPolicy = List.of(many, policy.get(1));
    try (Progress progress = new Progress(System.out);
        ServerProcess baseline = Servers.startBaseline(options, progress);
        ServerProcess lazy = offpath(options, policy, progress, "offpath-lazy", List.of());
        ServerProcess parsed =
            offpath(options, policy, progress, "offpath-parsed", List.of("--check-decoding", "parsed"));
        ServerProcess rules =
            offpath(options, manyPolicy, progress, "offpath-" + ruleCount + "-rules", List.of())) {
      List<Variant> variants =
          List.of(
              new Variant("baseline", baseline, -1),
              new Variant("offpath-lazy", lazy, adminPort(lazy)),
              new Variant("offpath-parsed", parsed, adminPort(parsed)),
              new Variant("offpath-" + ruleCount + "-rules", rules, adminPort(rules)));
      CheckComparison run = new CheckComparison(options, progress);
      Instant date = Instant.now();
      String loadAtStart = MachineFacts.loadAverage();
      List<String> report = new ArrayList<>();
      report.add("Check path variants against the do-nothing baseline (benchmarks/load.sh --check-compare)");
      report.add("date: " + date);
      int machineAt = report.size();
      report.add("policy: the load policy (20 rules + per-user memquota); " + variants.get(3).name()
          + ": the same grown to " + ruleCount + " rules");
      for (Variant v : variants) {
        report.add(v.name() + ": " + v.server().describe());
      }
      report.add("");
      if (!client.equals("h2load")) {
        report.addAll(run.javaClient(variants));
      }
      if (!client.equals("java")) {
        report.addAll(run.h2load(variants, new H2Load(requireNonNull(h2load, "h2load"), configs)));
      }
      report.addAll(machineAt, MachineFacts.machine(loadAtStart)); // "at end": now
      String text = String.join("\n", report) + "\n";
      Path written = write(text, date, options.results());
      System.out.println();
      System.out.print(text);
      System.out.println("wrote " + written);
    } finally {
      try (var files = Files.list(configs)) {
        for (Path p : files.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(configs);
    }
  }

  private static String take(List<String> args, String flag, String fallback) {
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals(flag) && i + 1 < args.size()) {
        String v = args.get(i + 1);
        args.subList(i, i + 2).clear();
        return v;
      }
      if (args.get(i).startsWith(flag + "=")) {
        return args.remove(i).substring(flag.length() + 1);
      }
    }
    return fallback;
  }

  private static ServerProcess offpath(
      LoadOptions options, List<Path> config, Progress progress, String name, List<String> extra)
      throws IOException, InterruptedException {
    return Servers.startOffpath(
        options, config, progress, name, options.results().resolve(name + "-server.log"), extra,
        ChannelSecurity.PLAINTEXT);
  }

  private static final Pattern ADMIN = Pattern.compile(" admin=\\S*?(\\d+) telemetry=");

  /** Offpath logs its bound ports on one line once serving; the admin port is read from it. */
  static int adminPort(ServerProcess p) throws IOException {
    Matcher m = ADMIN.matcher(Files.readString(p.log()));
    if (!m.find()) {
      throw new IllegalStateException(p.name() + " logged no admin port; end of its log:\n" + p.logTail());
    }
    return Integer.parseInt(m.group(1));
  }

  // ---- the Java client ----

  private List<String> javaClient(List<Variant> variants) throws InterruptedException {
    List<CheckRequest> requests = CheckTraffic.requests(options.requests(), options.users());
    for (Variant v : variants.subList(1, variants.size())) {
      Servers.verifyPolicy(v.server(), requests, ChannelSecurity.PLAINTEXT);
    }
    byte[][] encoded = PreEncoded.encode(requests);
    List<String> out = new ArrayList<>();
    out.add("== Java client (the driver's: " + options.connections() + " connections, "
        + options.requests() + " requests over " + options.users() + " users, cycled)");
    List<CheckClient> clients = new ArrayList<>();
    try {
      for (Variant v : variants) {
        clients.add(new CheckClient(v.server().grpcPort(), options.connections(), encoded));
      }
      for (int i = 0; i < variants.size(); i++) {
        clients.get(i).closedLoop("warm-up", variants.get(i).server(), options.concurrency(), options.warmup(), progress);
      }
      ensureAlive(variants, "warm-up");
      double[] capacity = new double[variants.size()];
      if (options.phases().contains(Phase.CAPACITY)) {
        List<CapacitySearch> searches = new ArrayList<>();
        for (int i = 0; i < variants.size(); i++) {
          searches.add(steps.newSearch());
        }
        boolean more = true;
        while (more) {
          more = false;
          for (int i = 0; i < variants.size(); i++) {
            CapacitySearch s = searches.get(i);
            if (!s.done()) {
              steps.step(s, clients.get(i), variants.get(i).server());
              more |= !s.done();
            }
          }
          ensureAlive(variants, "capacity");
        }
        out.add("capacity (open loop, highest rate kept up):");
        for (int i = 0; i < variants.size(); i++) {
          capacity[i] = searches.get(i).capacity();
          out.add(String.format(Locale.ROOT, "  %-22s %,9.0f checks/s  %s x baseline",
              variants.get(i).name(), capacity[i], LatencySummary.ratio(capacity[i], capacity[0])));
        }
      }
      int rounds = options.rounds();
      if (options.phases().contains(Phase.CLOSED)) {
        PhaseResult[] closed = new PhaseResult[variants.size()];
        Duration slice = options.maxDuration().dividedBy(rounds);
        for (int r = 0; r < rounds; r++) {
          for (int i = 0; i < variants.size(); i++) {
            PhaseResult p = clients.get(i).closedLoop("max-throughput", variants.get(i).server(), options.concurrency(), slice, progress);
            closed[i] = closed[i] == null ? p : closed[i].plus(p);
          }
          ensureAlive(variants, "closed");
        }
        out.add("closed loop (" + options.concurrency() + " in flight, " + rounds + " rounds):");
        for (int i = 0; i < variants.size(); i++) {
          out.add(String.format(Locale.ROOT, "  %-22s %,9.0f checks/s  %s x baseline  errors %d  %s",
              variants.get(i).name(), closed[i].throughput(),
              LatencySummary.ratio(closed[i].throughput(), closed[0].throughput()),
              closed[i].errors(), closed[i].latency().format()));
        }
      }
      double rate = options.fixedRate() > 0 ? options.fixedRate() : capacity[0] / 2;
      if (options.phases().contains(Phase.FIXED) && rate > 0) {
        PhaseResult[] fixed = new PhaseResult[variants.size()];
        Duration slice = options.fixedDuration().dividedBy(rounds);
        for (int r = 0; r < rounds; r++) {
          for (int i = 0; i < variants.size(); i++) {
            PhaseResult p = clients.get(i).openLoop("fixed-rate", variants.get(i).server(), rate, slice, progress);
            fixed[i] = fixed[i] == null ? p : fixed[i].plus(p);
          }
          ensureAlive(variants, "fixed");
        }
        out.add(String.format(Locale.ROOT, "fixed rate %,.0f checks/s (open loop, %s; %d rounds):", rate,
            options.fixedRate() > 0 ? "--fixed-rate" : "half the baseline's capacity", rounds));
        for (int i = 0; i < variants.size(); i++) {
          PhaseResult f = fixed[i];
          out.add(String.format(Locale.ROOT, "  %-22s %,9.0f checks/s  p99 %s (%s x baseline)  CPU %s ms/1000 checks  errors %d  %s",
              variants.get(i).name(), f.throughput(), LatencySummary.millis(f.latency().p99()),
              LatencySummary.ratio(f.latency().p99(), fixed[0].latency().p99()),
              f.cpuMillisPer1000() < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", f.cpuMillisPer1000()),
              f.errors(), f.latency().format()));
        }
      }
    } finally {
      for (CheckClient c : clients) {
        c.close();
      }
      progress.show(null);
    }
    out.add("");
    return out;
  }

  private static void ensureAlive(List<Variant> variants, String phase) {
    for (Variant v : variants) {
      v.server().ensureAlive(phase);
    }
  }

  // ---- h2load ----

  private List<String> h2load(List<Variant> variants, H2Load h2load)
      throws IOException, InterruptedException {
    byte[] request = CheckTraffic.requests(1, options.users()).get(0).toByteArray();
    for (Variant v : variants) {
      CheckResponse r = sample(v.server().grpcPort(), request);
      if (r.getStatus().getCode() != 0) {
        throw new IllegalStateException(v.name() + " did not allow h2load's request: " + r.getStatus());
      }
    }
    int connections = options.connections();
    int streams = Math.max(1, options.concurrency() / connections);
    int rounds = options.rounds();
    Duration slice = options.maxDuration().dividedBy(rounds);
    Duration warm = Duration.ofSeconds(Math.max(1, Math.min(5, options.warmup().toSeconds())));
    H2Load.Result[] total = new H2Load.Result[variants.size()];
    long[] done = new long[variants.size()];
    double[] seconds = new double[variants.size()];
    org.HdrHistogram.Histogram[] latencies = new org.HdrHistogram.Histogram[variants.size()];
    List<List<String>> perRound = new ArrayList<>();
    for (int i = 0; i < variants.size(); i++) {
      perRound.add(new ArrayList<>());
    }
    List<String> out = new ArrayList<>();
    out.add("== h2load (" + connections + " connections x " + streams + " streams, closed loop, "
        + rounds + " rounds of " + slice.toSeconds() + " s after " + warm.toSeconds()
        + " s warm-up each; one " + request.length + "-byte request repeated)");
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < variants.size(); i++) {
        Variant v = variants.get(i);
        Map<String, Double> before = v.adminPort() < 0 ? Map.of() : checkCounts(v.adminPort());
        progress.message("h2load round " + (r + 1) + " " + v.name());
        H2Load.Result res = h2load.closedLoop(v.server().grpcPort(), request, connections, streams, warm, slice);
        if (!res.clean()) {
          throw new IllegalStateException("h2load against " + v.name() + " had failures: " + res.format());
        }
        if (v.adminPort() >= 0) {
          Map<String, Double> after = checkCounts(v.adminPort());
          for (Map.Entry<String, Double> e : after.entrySet()) {
            double grew = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            if (!e.getKey().equals("OK") && grew > 0) {
              throw new IllegalStateException(v.name() + " answered " + (long) grew + " Checks with gRPC " + e.getKey());
            }
            if (e.getKey().equals("OK") && grew < res.done()) {
              throw new IllegalStateException(v.name() + " counted " + (long) grew + " OK Checks, h2load " + res.done());
            }
          }
        }
        progress.message(String.format(Locale.ROOT, "h2load %s: %s", v.name(), res.format()));
        perRound.get(i).add(String.format(Locale.ROOT, "%,.0f", res.rate()));
        done[i] += res.latencies().getTotalCount();
        seconds[i] += res.loggedSeconds();
        if (latencies[i] == null) {
          latencies[i] = res.latencies().copy();
        } else {
          latencies[i].add(res.latencies());
        }
        total[i] = res;
      }
      ensureAlive(variants, "h2load");
    }
    double base = done[0] / seconds[0];
    for (int i = 0; i < variants.size(); i++) {
      double rate = done[i] / seconds[i];
      LatencySummary l = LatencySummary.of(latencies[i]);
      out.add(String.format(Locale.ROOT, "  %-22s %,9.0f checks/s  %s x baseline  p99 %s (%s x baseline)  %s; rounds %s checks/s",
          variants.get(i).name(), rate, LatencySummary.ratio(rate, base), LatencySummary.millis(l.p99()),
          LatencySummary.ratio(l.p99(), LatencySummary.of(latencies[0]).p99()), l.format(),
          String.join(" / ", perRound.get(i))));
    }
    out.add("  gRPC status: a sample call per server was OK and allowed; Offpath's grpc_server_handled_total"
        + " (Check) grew by at least h2load's completed requests, all OK");
    out.add("");
    return out;
  }

  private static final MethodDescriptor<byte[], byte[]> RAW =
      AuthorizationGrpc.getCheckMethod().toBuilder(new Bytes(), new Bytes()).build();

  private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** One call with exactly h2load's bytes, through grpc-java: the gRPC status and the answer. */
  private static CheckResponse sample(int port, byte[] request) throws IOException {
    ManagedChannel channel = ChannelSecurity.PLAINTEXT.channel(port, false);
    try {
      return CheckResponse.parseFrom(
          ClientCalls.blockingUnaryCall(
              channel, RAW, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request));
    } finally {
      channel.shutdownNow();
    }
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** Offpath's {@code grpc_server_handled_total} for Check, by gRPC code. */
  static Map<String, Double> checkCounts(int adminPort) throws IOException, InterruptedException {
    String text =
        HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return handledChecks(text);
  }

  private static final Pattern HANDLED =
      Pattern.compile("^grpc_server_handled_total\\{(.*)\\} (\\S+)$", Pattern.MULTILINE);
  private static final Pattern CODE = Pattern.compile("grpc_code=\"([A-Z_]+)\"");

  /** {@code grpc_server_handled_total} samples of method Check in an exposition, by code. */
  static Map<String, Double> handledChecks(String exposition) {
    Map<String, Double> out = new LinkedHashMap<>();
    Matcher m = HANDLED.matcher(exposition);
    while (m.find()) {
      String labels = m.group(1);
      if (!labels.contains("grpc_method=\"Check\"")) {
        continue;
      }
      Matcher c = CODE.matcher(labels);
      if (c.find()) {
        out.merge(c.group(1), Double.parseDouble(m.group(2)), Double::sum);
      }
    }
    return out;
  }

  /** Writes the report as {@code checks-<date>.txt} and {@code checks-latest.txt}. */
  static Path write(String text, Instant date, Path dir) throws IOException {
    Files.createDirectories(dir);
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(date);
    Path file = dir.resolve("checks-" + stamp + ".txt");
    Files.writeString(file, text);
    Files.copy(file, dir.resolve("checks-latest.txt"), StandardCopyOption.REPLACE_EXISTING);
    return file;
  }
}
