package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import dev.offpath.benchmarks.load.LoadOptions.Phase;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * End-to-end load driver: Offpath serving a realistic policy against a do-nothing ext_authz server
 * on the same gRPC stack (the baseline, {@link BaselineServer}), each started in its own JVM by
 * this run so that their CPU time is their own, then measured by the same client. After a
 * closed-loop warm-up of each, the phases ({@code --phases}, default all, in this order):
 *
 * <ol>
 *   <li>{@code capacity}: the <b>max throughput</b> of each, by an open-loop search ({@link
 *       CapacitySearch}): rates climb by {@code --step-factor} until a step does not keep up, then
 *       bisect; the capacity is the highest rate kept up;
 *   <li>{@code closed}: a closed loop of {@code --concurrency} calls in flight for {@code
 *       --max-duration} against each, for comparison;
 *   <li>{@code fixed}: <b>p99 at a fixed rate</b>, half of the baseline's capacity unless {@code
 *       --fixed-rate} says otherwise: an open loop ({@link OpenLoopSchedule}, latency from the
 *       intended send time) against each, with the server CPU per 1000 checks;
 *   <li>{@code ingest}: <b>access-log ingest</b> into Offpath (Istio 1.0's default metrics): streams
 *       as fast as flow control allows; entries/s from the first send until the telemetry port's
 *       {@code istio_requests_total} has grown by exactly the entries sent;
 *   <li>{@code mixed}: Check p99 at a fixed rate ({@code --mixed-rate}, default the fixed rate)
 *       with no logs, then at the same rate while access logs stream at {@code --log-rate}
 *       entries/s (counted exactly afterwards);
 *   <li>{@code soak}, only when named (it lasts {@code --soak-duration}, 10 minutes by default):
 *       <b>steady memory</b>. Open-loop Checks at {@code --soak-rate} (default the fixed rate) over
 *       {@code --soak-users} distinct users, more than the check cache holds, so that it and the
 *       memquota tables churn, while access logs stream at {@code --soak-log-rate} entries/s.
 *       Every {@code --soak-sample} the driver forces a full GC in Offpath and reads the heap used
 *       after it ({@link HeapSampler}: {@code jcmd <pid> GC.run} and {@code GC.heap_info} with the
 *       jcmd beside the server's java). The target: a soak of at least 10 minutes, no Check
 *       errors, every entry counted, and the average of the last third of the samples at most the
 *       first third's times 1.10 plus 8 MiB ({@link HeapGrowth}); the least-squares growth per
 *       minute is reported beside it. A shorter soak reports its numbers, the target "not
 *       measured".
 * </ol>
 *
 * <p>A phase not run is "skipped" in the report and its targets too. {@code fixed} without {@code
 * capacity} needs {@code --fixed-rate}, {@code mixed} without it {@code --mixed-rate} or {@code
 * --fixed-rate}, {@code soak} without it {@code --soak-rate} or {@code --fixed-rate}; the
 * baseline JVM starts only for {@code capacity}, {@code closed} and {@code fixed}. So {@code --phases ingest} or {@code --phases fixed --fixed-rate 8000} reruns one phase
 * quickly.
 *
 * <p>The client shares the machine with the server under test (only one runs at a time), so on a
 * small machine the capacities are those of "server + this client"; the ratios compare like with
 * like. The client encodes its requests once ({@link PreEncoded}) to keep its own CPU low. A
 * server that exits without the driver stopping it is reported with its status and signal; at
 * start it is retried once ({@link ServerProcess}). Output: a text report and an HTML percentile
 * plot under {@code --results} (timestamped, plus {@code latest.txt}/{@code latest.html}), a
 * progress line every second meanwhile.
 *
 * <p>Run: {@code benchmarks/load.sh [flags]} (builds the jars, picks a JDK), or {@code java -cp
 * benchmarks/target/benchmarks.jar dev.offpath.benchmarks.load.LoadDriver --help}.
 */
public final class LoadDriver {

  private static final Duration JCMD_TIMEOUT = Duration.ofSeconds(60);

  private final LoadOptions options;
  private final Progress progress;
  private final PhaseSteps steps;

  LoadDriver(LoadOptions options, Progress progress) {
    this.options = requireNonNull(options, "options");
    this.progress = requireNonNull(progress, "progress");
    this.steps = new PhaseSteps(this.options, this.progress);
  }

  public static void main(String[] args) throws Exception {
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.print(LoadOptions.USAGE);
      return;
    }
    LoadOptions options;
    try {
      options = LoadOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("load driver: " + e.getMessage());
      System.err.print(LoadOptions.USAGE);
      System.exit(2);
      return;
    }
    if (!Files.isRegularFile(options.offpathJar())) {
      System.err.println(
          "load driver: no Offpath jar at " + options.offpathJar()
              + " (build it with ./mvnw -B -q -pl server -am package -DskipTests, or use"
              + " benchmarks/load.sh)");
      System.exit(2);
    }
    Files.createDirectories(options.results());
    Path configs = Files.createTempDirectory("offpath-load");
    List<Path> policy = Servers.writePolicy(configs);
    try (Progress progress = new Progress(System.out);
        ServerProcess baseline = options.needsBaseline() ? Servers.startBaseline(options, progress) : null;
        ServerProcess offpath = Servers.startOffpath(options, policy, progress)) {
      LoadReport report = new LoadDriver(options, progress).run(baseline, offpath);
      List<Path> written = write(report, options.results());
      System.out.println();
      System.out.print(ReportText.render(report));
      System.out.println();
      for (Path p : written) {
        System.out.println("wrote " + p);
      }
    } finally {
      for (Path p : policy) {
        Files.deleteIfExists(p);
      }
      Files.deleteIfExists(configs);
    }
  }


  /**
   * Runs the phases of {@code --phases} against the (already serving) targets; {@code baseline}
   * may be null when none of them needs it.
   */
  LoadReport run(@Nullable Target baseline, Target offpath) throws IOException, InterruptedException {
    requireNonNull(offpath, "offpath");
    if (options.needsBaseline() && baseline == null) {
      throw new IllegalArgumentException(
          "baseline: none (expected: one, for --phases " + options.phaseList() + ")");
    }
    if ((options.runs(Phase.INGEST) || options.runs(Phase.MIXED) || options.runs(Phase.SOAK))
        && offpath.telemetryPort() <= 0) {
      throw new IllegalArgumentException(
          "offpath: no telemetry port (expected: one, for the ingest, mixed and soak runs)");
    }
    // Before any load: a driver on a JRE cannot run the soak, and should say so at once.
    @Nullable HeapSampler heap =
        options.runs(Phase.SOAK)
            ? new HeapSampler(HeapSampler.jcmdNextTo(ServerProcess.java()), offpath.pid(), JCMD_TIMEOUT)
            : null;
    List<CheckRequest> requests = CheckTraffic.requests(options.requests(), options.users());
    verifyPolicy(offpath, requests);
    Instant date = Instant.now();
    String loadAtStart = MachineFacts.loadAverage();
    Target base = options.needsBaseline() ? requireNonNull(baseline, "baseline") : null;
    try (CheckClient toBaseline =
            base == null ? null : new CheckClient(base.grpcPort(), options.connections(), requests);
        CheckClient toOffpath = new CheckClient(offpath.grpcPort(), options.connections(), requests);
        LogClient logs = new LogClient(offpath.grpcPort(), options.entriesPerMessage())) {
      if (toBaseline != null && base != null) {
        toBaseline.closedLoop("warm-up", base, options.concurrency(), options.warmup(), progress);
        ensureAlive("warm-up", base);
      }
      if (toBaseline != null || options.runs(Phase.MIXED) || options.runs(Phase.SOAK)) {
        // The mixed run and the soak measure Checks while logs stream: the log path (parsing,
        // mapping, dispatch) warms up with the Checks, or its JIT compilation would land in the
        // first streaming round.
        LogClient.RateRun warmLogs =
            options.runs(Phase.MIXED) || options.runs(Phase.SOAK)
                ? logs.atRate(
                    options.logStreams(),
                    options.logRate(),
                    options.warmup().toNanos(),
                    new Meter("warm-up-logs", offpath.name(), options.logRate()))
                : null;
        toOffpath.closedLoop("warm-up", offpath, options.concurrency(), options.warmup(), progress);
        if (warmLogs != null) {
          warmLogs.finish(TimeUnit.SECONDS.toNanos(30));
        }
        ensureAlive("warm-up", offpath);
      }

      // Every measured phase alternates baseline and Offpath in rounds and merges the slices, so
      // that other load on the machine, if it comes and goes, lands on both alike.
      int rounds = options.rounds();
      LoadReport.Capacity capacityBaseline = null;
      LoadReport.Capacity capacityOffpath = null;
      if (options.runs(Phase.CAPACITY) && toBaseline != null && base != null) {
        CapacitySearch searchBaseline = steps.newSearch();
        CapacitySearch searchOffpath = steps.newSearch();
        while (!searchBaseline.done() || !searchOffpath.done()) {
          steps.step(searchBaseline, toBaseline, base);
          steps.step(searchOffpath, toOffpath, offpath);
          ensureAlive("capacity", base, offpath);
        }
        capacityBaseline = new LoadReport.Capacity(searchBaseline.capacity(), searchBaseline.steps());
        capacityOffpath = new LoadReport.Capacity(searchOffpath.capacity(), searchOffpath.steps());
        progress.message(
            String.format(
                Locale.ROOT,
                "capacity (open loop): baseline %,.0f checks/s, offpath %,.0f checks/s",
                capacityBaseline.rate(),
                capacityOffpath.rate()));
      }

      PhaseResult maxBaseline = null;
      PhaseResult maxOffpath = null;
      if (options.runs(Phase.CLOSED) && toBaseline != null && base != null) {
        Duration maxSlice = options.maxDuration().dividedBy(rounds);
        for (int r = 0; r < rounds; r++) {
          maxBaseline =
              steps.merge(maxBaseline, toBaseline.closedLoop("max-throughput", base, options.concurrency(), maxSlice, progress));
          maxOffpath =
              steps.merge(maxOffpath, toOffpath.closedLoop("max-throughput", offpath, options.concurrency(), maxSlice, progress));
          ensureAlive("closed", base, offpath);
        }
      }

      // Half the baseline's capacity unless given (LoadOptions insists on one or the other).
      boolean halfCapacity = options.fixedRate() == 0 && capacityBaseline != null;
      double fixedRate =
          options.fixedRate() > 0
              ? options.fixedRate()
              : capacityBaseline == null
                  ? 0
                  : Math.max(1, (capacityBaseline.rate() > 0 ? capacityBaseline.rate() : options.stepStart()) / 2);
      PhaseResult fixedBaseline = null;
      PhaseResult fixedOffpath = null;
      if (options.runs(Phase.FIXED) && toBaseline != null && base != null) {
        Duration fixedSlice = options.fixedDuration().dividedBy(rounds);
        for (int r = 0; r < rounds; r++) {
          fixedBaseline =
              steps.merge(fixedBaseline, toBaseline.openLoop("fixed-rate", base, fixedRate, fixedSlice, progress));
          fixedOffpath =
              steps.merge(fixedOffpath, toOffpath.openLoop("fixed-rate", offpath, fixedRate, fixedSlice, progress));
          ensureAlive("fixed", base, offpath);
        }
      }

      LoadReport.Ingest ingest = null;
      if (options.runs(Phase.INGEST)) {
        MeshMetrics mesh = new MeshMetrics(offpath.telemetryPort());
        ingest("ingest warm-up", logs, offpath, mesh, Math.max(1, options.ingestEntries() / 4));
        ingest = ingest("ingest", logs, offpath, mesh, options.ingestEntries());
        ensureAlive("ingest", offpath);
      }

      double mixedRate = 0;
      PhaseResult mixedIdle = null;
      PhaseResult mixedStreaming = null;
      LoadReport.Logs mixedLogs = null;
      if (options.runs(Phase.MIXED)) {
        mixedRate = options.mixedRate() > 0 ? options.mixedRate() : fixedRate;
        MeshMetrics mesh = new MeshMetrics(offpath.telemetryPort());
        Duration mixedSlice = options.mixedDuration().dividedBy(rounds);
        // Unmeasured: the phase before (an ingest's million entries, say) leaves garbage and
        // compilation behind, which landed in the first idle round (p99 35-146 ms against 4 ms in
        // the others) and flattered the streaming/idle ratio.
        toOffpath.openLoop("mixed-settle", offpath, mixedRate, mixedSlice, progress);
        for (int r = 0; r < rounds; r++) {
          mixedIdle =
              steps.merge(mixedIdle, toOffpath.openLoop("mixed-idle", offpath, mixedRate, mixedSlice, progress));
          double before = mesh.requestsTotal();
          long lead = Math.min(TimeUnit.MILLISECONDS.toNanos(500), mixedSlice.toNanos() / 2);
          long logStart = System.nanoTime();
          LogClient.RateRun stream =
              logs.atRate(
                  options.logStreams(),
                  options.logRate(),
                  mixedSlice.toNanos() + 2 * lead,
                  new Meter("mixed-logs", offpath.name(), options.logRate()));
          // The logs start (and end) up to half a second before (after) the Check slice: it sees them steady.
          TimeUnit.NANOSECONDS.sleep(lead);
          mixedStreaming =
              steps.merge(
                  mixedStreaming,
                  toOffpath.openLoop("mixed-streaming", offpath, mixedRate, mixedSlice, progress));
          long logsSent = stream.finish(TimeUnit.SECONDS.toNanos(30));
          long logNanos = System.nanoTime() - logStart;
          double logsCounted = awaitCount(mesh, before, logsSent) - before;
          LoadReport.Logs slice =
              new LoadReport.Logs(options.logRate(), logsSent, logsCounted, logNanos);
          progress.message(
              String.format(
                  Locale.ROOT,
                  "mixed-logs offpath: %,d entries sent at %,.0f/s, %,.0f counted",
                  logsSent, slice.rate(), logsCounted));
          mixedLogs = mixedLogs == null ? slice : mixedLogs.plus(slice);
          ensureAlive("mixed", offpath);
        }
      }

      LoadReport.Soak soak = null;
      if (heap != null) {
        soak =
            new SoakPhase(options, progress, steps)
                .run(offpath, logs, heap, options.soakRate() > 0 ? options.soakRate() : fixedRate);
      }

      return new LoadReport(
          date,
          MachineFacts.machine(loadAtStart),
          options.describe(),
          base == null ? null : base.describe(),
          offpath.describe(),
          capacityBaseline,
          capacityOffpath,
          maxBaseline,
          maxOffpath,
          options.runs(Phase.FIXED) ? fixedRate : 0,
          halfCapacity,
          fixedBaseline,
          fixedOffpath,
          ingest,
          mixedRate,
          mixedIdle,
          mixedStreaming,
          mixedLogs,
          soak);
    } finally {
      progress.show(null);
    }
  }

  /** Fails the run, with why, when a server has exited: a report of its errors would mislead. */
  static void ensureAlive(String phase, Target... targets) {
    for (Target t : targets) {
      t.ensureAlive(phase);
    }
  }

  /** Offpath must allow the allowed requests and deny the denied ones, or the run measures nothing. */
  private static void verifyPolicy(Target offpath, List<CheckRequest> requests) {
    Servers.verifyPolicy(offpath, requests, ChannelSecurity.PLAINTEXT);
  }

  LoadReport.Ingest ingest(
      String phase, LogClient logs, Target offpath, MeshMetrics mesh, long entries)
      throws IOException, InterruptedException {
    return ingest(phase, logs, offpath, mesh::requestsTotal, entries);
  }

  /** {@link #ingest(String, LogClient, Target, MeshMetrics, long)}, counted by {@code mesh}. */
  LoadReport.Ingest ingest(
      String phase, LogClient logs, Target offpath, EntryCount mesh, long entries)
      throws IOException, InterruptedException {
    int streams = options.ingestStreams();
    long perStream = Math.max(1, Math.ceilDiv(entries, (long) streams * logs.perMessage()));
    long sent = perStream * streams * logs.perMessage();
    double before = mesh.entries();
    Meter meter = new Meter(phase, offpath.name(), 0);
    progress.show(meter);
    CountDownLatch done = new CountDownLatch(streams);
    long cpuBefore = offpath.cpuNanos();
    long start = System.nanoTime();
    logs.flood(streams, perStream, meter, done);
    long clientNanos = -1;
    long lastChange = start;
    double counted = 0;
    while (counted < sent) {
      // Each poll renders the whole mesh exposition in the server: poll twice a second while the
      // client sends (a real Prometheus scrapes every 15 s), every 10 ms once it is done, so the
      // end is still timed to 10 ms.
      if (done.getCount() > 0) {
        done.await(500, TimeUnit.MILLISECONDS);
      } else {
        Thread.sleep(10);
      }
      double now = mesh.entries() - before;
      long t = System.nanoTime();
      if (now != counted) {
        lastChange = t;
        meter.allowed.add((long) (now - counted));
        counted = now;
      }
      if (clientNanos < 0 && done.getCount() == 0) {
        clientNanos = t - start;
      }
      if (t - lastChange > TimeUnit.SECONDS.toNanos(30)) {
        break;
      }
    }
    long elapsed = System.nanoTime() - start;
    long cpuAfter = offpath.cpuNanos();
    if (!done.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("ingest: access-log streams were not completed");
    }
    if (clientNanos < 0) {
      clientNanos = System.nanoTime() - start;
    }
    // Settle: nothing may be counted twice or late.
    Thread.sleep(200);
    double finalCount = mesh.entries() - before;
    LoadReport.Ingest result =
        new LoadReport.Ingest(
            sent,
            finalCount,
            elapsed,
            clientNanos,
            cpuBefore < 0 || cpuAfter < 0 ? -1 : cpuAfter - cpuBefore,
            meter.errors.sum());
    progress.message(
        String.format(
            Locale.ROOT,
            "%s offpath: %,d entries at %,.0f entries/s, counted %,.0f (%s)",
            phase,
            sent, result.rate(), finalCount, result.exact() ? "exact" : "NOT EXACT"));
    return result;
  }

  /** Polls until the counter has grown by {@code expected} (or stops growing for ten seconds). */
  static double awaitCount(MeshMetrics mesh, double before, long expected)
      throws IOException, InterruptedException {
    double last = mesh.requestsTotal();
    long lastChange = System.nanoTime();
    while (last - before < expected && System.nanoTime() - lastChange < TimeUnit.SECONDS.toNanos(10)) {
      Thread.sleep(20);
      double now = mesh.requestsTotal();
      if (now != last) {
        last = now;
        lastChange = System.nanoTime();
      }
    }
    Thread.sleep(200);
    return mesh.requestsTotal();
  }

  /** Writes the report and plot, timestamped and as latest.*; returns the files. */
  static List<Path> write(LoadReport report, Path dir) throws IOException {
    Files.createDirectories(dir);
    String stamp =
        DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(ZoneOffset.UTC)
            .format(report.date());
    Path text = dir.resolve("load-" + stamp + ".txt");
    Path html = dir.resolve("load-" + stamp + ".html");
    Files.writeString(text, ReportText.render(report));
    Files.writeString(html, PercentilePlot.html(report));
    Files.copy(text, dir.resolve("latest.txt"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(html, dir.resolve("latest.html"), StandardCopyOption.REPLACE_EXISTING);
    return List.of(text, html);
  }
}
