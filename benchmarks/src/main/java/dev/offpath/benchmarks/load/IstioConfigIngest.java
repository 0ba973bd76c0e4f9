package dev.offpath.benchmarks.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The access-log ingest with Istio 1.0's default config as Istio ships it: the prometheus metrics
 * and the stdio access log ({@code accesslog} logentry → one JSON line on stdout per request),
 * against the metrics alone (the load driver's ingest phase). Four Offpath JVMs serve the load
 * policy plus
 *
 * <ul>
 *   <li>{@code metrics}: Istio 1.0's default metrics (the load driver's usual telemetry);
 *   <li>{@code full→file}: {@code istio-1.0-mixer-config.yaml} verbatim, stdout to a file;
 *   <li>{@code full→pipe}: the same, stdout to a named pipe the driver reads (as a container
 *       runtime collects stdout; {@link PipeLines});
 *   <li>{@code full→null}: the same, stdout to {@code /dev/null}.
 * </ul>
 *
 * <p>After {@value IngestRounds#WARM_UP} full-size warm-up rounds of each, the rounds alternate between them (each round {@code
 * --ingest-entries} entries over {@code --ingest-streams} streams, as fast as flow control allows)
 * so that the machine's drift lands on all of them. Every entry must be counted: {@code
 * istio_requests_total} grows by exactly the entries sent, and the file and the pipe carry exactly
 * one JSON access-log line per entry ({@link FileLines}: counted after each round, from where the
 * previous round's lines ended; the file, about 1 KB per entry, is deleted at the end). The report gives
 * each round, each variant's median round and its rate over all rounds, their ratios to {@code
 * metrics} in the same run, and the 300k entries/s target judged on the median round.
 *
 * <p>Run: {@code benchmarks/load.sh --istio-ingest [--ingest-entries N] [--rounds N] ...} or
 * {@code java -cp benchmarks/target/benchmarks.jar dev.offpath.benchmarks.load.IstioConfigIngest
 * [load driver flags]}; the report goes to {@code --results}/{@code istio-ingest-<UTC time>.txt}.
 */
public final class IstioConfigIngest {

  static final String FULL_CONFIG = "/dev/offpath/benchmarks/telemetry/istio-1.0-mixer-config.yaml";
  private static final double TARGET = 300_000;

  private IstioConfigIngest() {}

  private record Variant(
      String name, ServerProcess server, MeshMetrics mesh, @Nullable LineCounter lines) {}

  public static void main(String[] args) throws Exception {
    LoadOptions options = LoadOptions.parse(args);
    Files.createDirectories(options.results());
    Path configs = Files.createTempDirectory("offpath-istio-ingest");
    List<Path> metricsConfig = Servers.writePolicy(configs);
    Path full = configs.resolve("istio-1.0-mixer-config.yaml");
    Files.writeString(full, Servers.resource(FULL_CONFIG));
    List<Path> fullConfig = List.of(metricsConfig.get(0), full);
    FileLines stdoutFile = new FileLines(options.results().resolve("istio-ingest-stdout.log"));
    PipeLines stdoutPipe = new PipeLines(configs.resolve("stdout.fifo"));
    String loadAtStart = MachineFacts.loadAverage();
    List<String> report = new ArrayList<>();
    List<Variant> variants = new ArrayList<>();
    try (Progress progress = new Progress(System.out)) {
      try {
        variants.add(
            variant("metrics", options, metricsConfig, progress,
                options.results().resolve("istio-ingest-metrics-server.log"), null));
        variants.add(
            variant("full→file", options, fullConfig, progress, stdoutFile.file(), stdoutFile));
        variants.add(
            variant("full→pipe", options, fullConfig, progress, stdoutPipe.fifo(), stdoutPipe));
        variants.add(
            variant("full→null", options, fullConfig, progress, Path.of("/dev/null"), null));
        LoadDriver driver = new LoadDriver(options, progress);
        report.add("Istio 1.0 default config, access-log ingest: " + Instant.now());
        report.addAll(MachineFacts.machine(loadAtStart));
        report.addAll(options.describeIngest(IngestRounds.WARM_UP));
        report.add("");
        double[] sent = new double[variants.size()];
        double[] nanos = new double[variants.size()];
        boolean exact = true;
        List<List<Double>> rates = new ArrayList<>();
        for (int v = 0; v < variants.size(); v++) {
          rates.add(new ArrayList<>());
        }
        for (int round = IngestRounds.first(); round <= options.rounds(); round++) {
          for (int v = 0; v < variants.size(); v++) {
            Variant variant = variants.get(v);
            long entries = options.ingestEntries();
            LoadReport.Ingest r;
            try (LogClient logs =
                new LogClient(variant.server.grpcPort(), options.entriesPerMessage())) {
              r = driver.ingest(
                  IngestRounds.label(round)
                      + variant.name,
                  logs, variant.server, variant.mesh, entries);
            }
            LoadDriver.ensureAlive("istio ingest", variant.server);
            String lines = "";
            boolean ok = r.exact();
            LineCounter counter = variant.lines;
            if (counter != null) {
              long counted = counter.awaitLines(r.sent());
              lines = String.format(Locale.ROOT, ", %,d JSON lines", counted);
              ok &= counted == r.sent();
            }
            if (round > 0) {
              sent[v] += r.sent();
              nanos[v] += r.elapsedNanos();
              rates.get(v).add(r.rate());
              exact &= ok;
              report.add(
                  String.format(
                      Locale.ROOT,
                      "round %d %-10s %,9.0f entries/s  %,d sent, %,.0f counted%s%s, %.1f ms CPU per 1000 entries",
                      round, variant.name, r.rate(), r.sent(), r.counted(), lines,
                      ok ? "" : " NOT EXACT",
                      r.cpuNanos() < 0 ? Double.NaN : r.cpuNanos() / 1e6 / (r.sent() / 1000.0)));
            }
          }
        }
        report.add("");
        double base = sent[0] * 1e9 / nanos[0];
        double baseMedian = IngestRounds.median(rates.get(0));
        for (int v = 0; v < variants.size(); v++) {
          double rate = sent[v] * 1e9 / nanos[v];
          double median = IngestRounds.median(rates.get(v));
          report.add(
              String.format(
                  Locale.ROOT,
                  "%-10s median round %,9.0f entries/s (%.2fx metrics-only), over all rounds %,9.0f"
                      + " entries/s (%.2fx)%s",
                  variants.get(v).name, median, median / baseMedian, rate, rate / base,
                  v == 0 ? "" : median >= TARGET ? "  (target >= 300k/s: met)" : "  (target >= 300k/s: NOT met)"));
        }
        report.add(
            exact
                ? "every entry counted, and a line per entry in the file and through the pipe"
                : "NOT EXACT: see the rounds");
      } finally {
        for (Variant v : variants) {
          v.server.close();
        }
        stdoutFile.close();
        stdoutPipe.close();
        for (Path p : List.of(metricsConfig.get(0), metricsConfig.get(1), full)) {
          Files.deleteIfExists(p);
        }
        Files.deleteIfExists(configs);
      }
    }
    String text = String.join("\n", report) + "\n";
    String stamp =
        DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
    Path out = options.results().resolve("istio-ingest-" + stamp + ".txt");
    Files.writeString(out, text);
    System.out.println();
    System.out.print(text);
    System.out.println("wrote " + out);
  }


  private static Variant variant(
      String name, LoadOptions options, List<Path> config, Progress progress, Path output,
      @Nullable LineCounter lines) throws IOException, InterruptedException {
    ServerProcess p = Servers.startOffpath(options, config, progress, "offpath " + name, output);
    return new Variant(name, p, new MeshMetrics(p.telemetryPort()), lines);
  }
}
